"""Load the shipped course from reviewable files (docs/content-format.md).

Everything is parsed and validated before anything is written, and the write runs in
one transaction: a broken file names the file and the item at fault and changes nothing.
A second load of the same files changes nothing; content is updated in place, so
learners' progress and attempts are never touched.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml
from django.db import transaction
from django.db.models import Model

from course.models import Course, GlossaryTerm, Lesson, LessonSource, TimelineEvent
from course.rendering import Rendered, render_markdown
from quizzes import limits, scoring
from quizzes.models import Choice, GradingMethod, Question, QuestionKind, Quiz, ReviewTiming


class ContentError(Exception):
    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass
class LoadReport:
    created: Counter[str] = field(default_factory=Counter)
    updated: Counter[str] = field(default_factory=Counter)

    @property
    def changed(self) -> int:
        return sum(self.created.values()) + sum(self.updated.values())

    def summary(self) -> str:
        if not self.changed:
            return "Course is up to date: nothing changed."
        parts = [f"{n} {kind} created" for kind, n in sorted(self.created.items())]
        parts += [f"{n} {kind} updated" for kind, n in sorted(self.updated.items())]
        return "Loaded course: " + ", ".join(parts) + "."


def _date_text(value: Any) -> str:
    if isinstance(value, dt.date):
        return value.isoformat()
    return "" if value is None else str(value)


def _read_yaml(path: Path, problems: list[str]) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        problems.append(f"{where}: not valid YAML ({getattr(exc, 'problem', exc)})")
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(f"{path}: cannot read ({exc})")
    return None


def _read_lesson(path: Path, problems: list[str]) -> tuple[dict[str, Any], str] | None:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(f"{path}: cannot read as UTF-8 ({exc})")
        return None
    if not text.startswith("---\n"):
        problems.append(f"{path}:1: a lesson starts with a '---' front-matter line")
        return None
    end = text.find("\n---\n", 4)
    if end == -1:
        problems.append(f"{path}: the front matter has no closing '---' line")
        return None
    try:
        meta = yaml.safe_load(text[4:end])
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 2 if mark else 1
        problems.append(f"{path}:{line}: front matter is not valid YAML")
        return None
    if not isinstance(meta, dict):
        problems.append(f"{path}: front matter must be a mapping")
        return None
    return meta, text[end + 5 :].lstrip("\n")


def _require(data: dict[str, Any], keys: list[str], where: str, problems: list[str]) -> bool:
    missing = [k for k in keys if data.get(k) in (None, "")]
    for key in missing:
        problems.append(f"{where}: missing '{key}'")
    return not missing


def _mappings(value: Any, where: str, problems: list[str]) -> list[dict[str, Any]]:
    """`value` as a list of mappings, or [] after naming what is wrong with it."""
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        problems.append(f"{where}: must be a list of entries, each with named fields")
        return []
    return value


def _number(
    data: dict[str, Any], key: str, where: str, problems: list[str], *,
    low: Decimal, high: Decimal | None = None, whole: bool = False,
) -> None:
    value = data.get(key)
    if value is None:
        return
    ok = isinstance(value, int | float) and not isinstance(value, bool)
    if ok and whole:
        ok = isinstance(value, int)
    if ok:
        number = Decimal(str(value))
        ok = number >= low and (high is None or number <= high)
    if not ok:
        span = f"from {low} to {high}" if high is not None else f"of at least {low}"
        kind = "a whole number" if whole else "a number"
        problems.append(f"{where}: {key} must be {kind} {span} (not {value!r})")


def _decimal(value: Any, where: str, problems: list[str]) -> Decimal | None:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        problems.append(f"{where}: {value!r} is not a number")
        return None


@dataclass
class Plan:
    course: dict[str, Any]
    lessons: list[dict[str, Any]]
    quizzes: list[dict[str, Any]]
    glossary: list[dict[str, Any]]
    timeline: list[dict[str, Any]]


def parse(root: Path) -> Plan:
    """Read and validate every file; raise ContentError listing all problems found."""
    problems: list[str] = []
    if not root.is_dir():
        raise ContentError([f"{root}: no such directory"])
    if not (root / "course.yaml").exists():
        raise ContentError([f"{root / 'course.yaml'}: missing (the course's slug and title)"])
    course = _read_yaml(root / "course.yaml", problems) or {}
    if not isinstance(course, dict):
        problems.append(f"{root / 'course.yaml'}: must be a mapping of fields")
        course = {}
    elif course:
        _require(course, ["slug", "title", "summary"], str(root / "course.yaml"), problems)
        _check_links(str(course.get("description") or ""), f"{root / 'course.yaml'} description",
                     problems)

    glossary: list[dict[str, Any]] = []
    glossary_path = root / "glossary.yaml"
    if glossary_path.exists():
        glossary = _mappings(_read_yaml(glossary_path, problems), str(glossary_path), problems)
        for index, entry in enumerate(glossary, start=1):
            _require(entry, ["slug", "term", "definition"], f"{glossary_path} entry {index}",
                     problems)
    glossary_slugs = {entry.get("slug") for entry in glossary}

    lessons: list[dict[str, Any]] = []
    for path in sorted((root / "lessons").glob("*.md")):
        parsed = _read_lesson(path, problems)
        if parsed is None:
            continue
        meta, body = parsed
        if not _require(meta, ["slug", "title", "order"], str(path), problems):
            continue
        _number(meta, "order", str(path), problems, low=Decimal(1), whole=True)
        _number(meta, "estimated_minutes", str(path), problems, low=Decimal(1), whole=True)
        objectives = meta.get("objectives") or []
        if not isinstance(objectives, list):
            problems.append(f"{path}: objectives must be a list")
            meta["objectives"] = []
        meta["sources"] = _mappings(meta.get("sources"), f"{path} sources", problems)
        rendered = _check_links(body, str(path), problems)
        for slug in rendered.glossary_slugs:
            if slug not in glossary_slugs:
                problems.append(f"{path}: glossary link '{slug}' has no glossary entry")
        for index, source in enumerate(meta.get("sources") or [], start=1):
            _require(source, ["title", "publisher", "url"], f"{path} source {index}", problems)
        lessons.append({**meta, "body": body, "path": path, "anchors": rendered.anchors()})
    for slug, count in Counter(lesson["slug"] for lesson in lessons).items():
        if count > 1:
            problems.append(f"lessons: slug '{slug}' is used {count} times")
    anchors = {lesson["slug"]: lesson["anchors"] for lesson in lessons}

    quizzes: list[dict[str, Any]] = []
    for path in sorted((root / "quizzes").glob("*.yaml")):
        quiz = _read_yaml(path, problems)
        if not isinstance(quiz, dict):
            continue
        if not _require(quiz, ["slug", "title", "questions"], str(path), problems):
            continue
        quiz["questions"] = _mappings(quiz["questions"], f"{path} questions", problems)
        _number(quiz, "pass_mark", str(path), problems, low=Decimal(0), high=Decimal(100))
        _number(quiz, "weight", str(path), problems, low=Decimal(0))
        _number(quiz, "order", str(path), problems, low=Decimal(0), whole=True)
        _number(quiz, "attempt_delay_minutes", str(path), problems, low=Decimal(0), whole=True)
        if quiz.get("lesson") and quiz["lesson"] not in anchors:
            problems.append(f"{path}: lesson '{quiz['lesson']}' does not exist")
        if quiz.get("grading_method", "highest") not in GradingMethod.values:
            problems.append(f"{path}: grading_method must be one of {GradingMethod.values}")
        for option in ("review_score", "review_answers", "review_feedback"):
            if quiz.get(option, "immediately") not in ReviewTiming.values:
                problems.append(f"{path}: {option} must be one of {ReviewTiming.values}")
        for number in ("attempts_allowed", "time_limit_minutes", "questions_per_attempt"):
            value = quiz.get(number)
            if value is not None and (not isinstance(value, int) or value < 1):
                problems.append(f"{path}: {number} must be a whole number of at least 1")
        if len(quiz["questions"]) > limits.max_questions():
            problems.append(f"{path}: {len(quiz['questions'])} questions; a quiz holds at most "
                            f"{limits.max_questions()} (QUIZ_MAX_QUESTIONS): split it")
        keys = Counter(q.get("key") for q in quiz["questions"])
        for key, count in keys.items():
            if count > 1:
                problems.append(f"{path}: question key '{key}' is used {count} times")
        for question in quiz["questions"]:
            _check_question(question, path, anchors, problems)
        quizzes.append({**quiz, "path": path})

    timeline: list[dict[str, Any]] = []
    timeline_path = root / "timeline.yaml"
    if timeline_path.exists():
        timeline = _mappings(_read_yaml(timeline_path, problems), str(timeline_path), problems)
        for index, event in enumerate(timeline, start=1):
            where = f"{timeline_path} entry {index}"
            _require(event, ["date", "title", "text"], where, problems)
            if event.get("tag", "confirmed") not in TimelineEvent.Tag.values:
                problems.append(f"{where}: tag must be one of {TimelineEvent.Tag.values}")
            lesson_ref = str(event.get("lesson") or "")
            slug, _sep, anchor = lesson_ref.partition("#")
            if slug and slug not in anchors:
                problems.append(f"{where}: lesson '{slug}' does not exist")
            elif anchor and anchor not in anchors[slug]:
                problems.append(f"{where}: lesson '{slug}' has no section '#{anchor}'")
    if problems:
        raise ContentError(problems)
    return Plan(course, lessons, quizzes, glossary, timeline)


def _check_links(text: str, where: str, problems: list[str]) -> Rendered:
    """Render `text` as the site will, naming each static or section link that leads nowhere."""
    rendered = render_markdown(text)
    for link in rendered.broken_links:
        problems.append(f"{where}: {link.describe()}")
    return rendered


def _check_question(
    question: dict[str, Any], path: Path, anchors: dict[str, set[str]], problems: list[str]
) -> None:
    where = f"{path} question '{question.get('key', '?')}'"
    if not _require(question, ["key", "kind", "text", "choices"], where, problems):
        return
    _check_links(str(question["text"]), f"{where} text", problems)
    _check_links(str(question.get("explanation") or ""), f"{where} explanation", problems)
    question["choices"] = _mappings(question["choices"], f"{where} choices", problems)
    _number(question, "points", where, problems, low=Decimal("0.01"))
    if question["kind"] not in QuestionKind.values:
        problems.append(f"{where}: kind must be one of {QuestionKind.values}")
        return
    specs = []
    for index, choice in enumerate(question["choices"], start=1):
        if not isinstance(choice.get("text"), str):
            problems.append(f"{where} choice {index}: 'text' must be a string (quote True/False)")
        credit = choice.get("credit")
        value = None
        if credit is not None:
            value = _decimal(credit, f"{where} choice {index}", problems)
        specs.append(scoring.ChoiceSpec(index, bool(choice.get("correct")), value))
    for problem in scoring.question_problems(question["kind"], specs):
        problems.append(f"{where}: {problem}")
    section = str(question.get("section") or "")
    if section:
        slug, _sep, anchor = section.partition("#")
        if slug not in anchors:
            problems.append(f"{where}: section lesson '{slug}' does not exist")
        elif anchor and anchor not in anchors[slug]:
            problems.append(f"{where}: lesson '{slug}' has no section '#{anchor}'")


def _sync(obj: Model, values: dict[str, Any], report: LoadReport, kind: str) -> None:
    """Save `values` onto an existing object only when something differs."""
    changed = [name for name, value in values.items() if getattr(obj, name) != value]
    if changed:
        for name in changed:
            setattr(obj, name, values[name])
        obj.save(update_fields=changed)
        report.updated[kind] += 1


@transaction.atomic
def load(root: Path) -> LoadReport:
    """Validate the files under `root`, then create or update the course they describe."""
    plan = parse(root)
    _check_room(plan)
    report = LoadReport()
    data = plan.course
    course_values = {
        "title": data["title"],
        "subtitle": data.get("subtitle", ""),
        "summary": str(data["summary"]).strip(),
        "description": str(data.get("description", "")).strip(),
        "is_published": bool(data.get("is_published", True)),
    }
    course = Course.objects.filter(slug=data["slug"]).first()
    if course is None:
        course = Course.objects.create(slug=data["slug"], **course_values)
        report.created["courses"] += 1
    else:
        _sync(course, course_values, report, "courses")

    existing_lessons = {lesson.slug: lesson for lesson in course.lessons.all()}
    lessons: dict[str, Lesson] = {}
    for item in plan.lessons:
        values = {
            "title": item["title"],
            "order": int(item["order"]),
            "summary": str(item.get("summary", "")).strip(),
            "objectives": "\n".join(str(o).strip() for o in item.get("objectives") or []),
            "estimated_minutes": int(item.get("estimated_minutes", 10)),
            "body": item["body"],
            "is_published": bool(item.get("is_published", True)),
            "requires_previous": bool(item.get("requires_previous", False)),
            "last_verified": item.get("last_verified"),
        }
        lesson = existing_lessons.get(item["slug"])
        if lesson is None:
            lesson = Lesson.objects.create(course=course, slug=item["slug"], **values)
            report.created["lessons"] += 1
        else:
            _sync(lesson, values, report, "lessons")
        lessons[item["slug"]] = lesson
        _sync_sources(lesson, item.get("sources") or [], report)
    for slug, lesson in existing_lessons.items():
        if slug not in lessons and lesson.is_published:
            _sync(lesson, {"is_published": False}, report, "lessons")

    for item in plan.quizzes:
        _load_quiz(course, item, lessons, report)
    _sync_glossary(course, plan.glossary, report)
    _sync_timeline(course, plan.timeline, lessons, report)
    return report


def _check_room(plan: Plan) -> None:
    """Refuse, before anything is written, a quiz that would pass `limits.max_questions()`
    with the questions the database keeps: the loader retires a question missing from the
    file instead of deleting it, since past attempts cite it.
    """
    stored: dict[str, set[str]] = {}
    for quiz_slug, key in Question.objects.filter(
        quiz__course__slug=plan.course["slug"]
    ).values_list("quiz__slug", "key"):
        stored.setdefault(quiz_slug, set()).add(key)
    problems = []
    for item in plan.quizzes:
        keys = {str(q["key"]) for q in item["questions"]}
        total = len(keys | stored.get(item["slug"], set()))
        if total > limits.max_questions():
            retired = total - len(keys)
            problems.append(
                f"{item['path']}: with the {retired} retired questions the quiz keeps for past "
                f"attempts (no longer in the file), it would hold {total} questions; a quiz "
                f"holds at most {limits.max_questions()} (QUIZ_MAX_QUESTIONS). Delete retired "
                "questions that no attempt used in the admin, or use a new quiz slug"
            )
    if problems:
        raise ContentError(problems)


def _sync_sources(lesson: Lesson, sources: list[dict[str, Any]], report: LoadReport) -> None:
    wanted = [
        (order, s["title"], s["publisher"], s["url"], _date_text(s.get("date")))
        for order, s in enumerate(sources, start=1)
    ]
    current = list(
        lesson.sources.order_by("order", "pk").values_list(
            "order", "title", "publisher", "url", "published"
        )
    )
    if current != wanted:
        lesson.sources.all().delete()
        LessonSource.objects.bulk_create(
            LessonSource(lesson=lesson, order=o, title=t, publisher=p, url=u, published=d)
            for o, t, p, u, d in wanted
        )
        if current:
            report.updated["lesson sources"] += 1
        else:
            report.created["lesson sources"] += len(wanted)


def _load_quiz(
    course: Course, item: dict[str, Any], lessons: dict[str, Lesson], report: LoadReport
) -> None:
    lesson = lessons.get(item["lesson"]) if item.get("lesson") else None
    values = {
        "lesson": lesson,
        "title": item["title"],
        "description": str(item.get("description", "")).strip(),
        "order": int(item.get("order", lesson.order if lesson else 100)),
        "pass_mark": Decimal(str(item.get("pass_mark", 70))),
        "weight": Decimal(str(item.get("weight", 1))),
        "grading_method": item.get("grading_method", GradingMethod.HIGHEST),
        "is_published": bool(item.get("is_published", True)),
        "last_verified": item.get("last_verified"),
        "attempts_allowed": item.get("attempts_allowed"),
        "attempt_delay_minutes": int(item.get("attempt_delay_minutes", 0)),
        "time_limit_minutes": item.get("time_limit_minutes"),
        "questions_per_attempt": item.get("questions_per_attempt"),
        "shuffle_questions": bool(item.get("shuffle_questions", False)),
        "shuffle_choices": bool(item.get("shuffle_choices", False)),
        "review_score": item.get("review_score", ReviewTiming.IMMEDIATELY),
        "review_answers": item.get("review_answers", ReviewTiming.IMMEDIATELY),
        "review_feedback": item.get("review_feedback", ReviewTiming.IMMEDIATELY),
        "requires_checkpoints_passed": bool(item.get("requires_checkpoints_passed", False)),
    }
    quiz = Quiz.objects.filter(course=course, slug=item["slug"]).first()
    if quiz is None:
        quiz = Quiz.objects.create(course=course, slug=item["slug"], **values)
        report.created["quizzes"] += 1
    else:
        _sync(quiz, values, report, "quizzes")
    existing = {q.key: q for q in quiz.questions.prefetch_related("choices")}
    seen = set()
    for order, data in enumerate(item["questions"], start=1):
        section = str(data.get("section") or "")
        slug, _sep, anchor = section.partition("#")
        values = {
            "order": order,
            "kind": data["kind"],
            "text": str(data["text"]).strip(),
            "points": Decimal(str(data.get("points", 1))),
            "explanation": str(data.get("explanation", "")).strip(),
            "lesson": lessons.get(slug) if slug else None,
            "section_anchor": anchor,
            "all_or_nothing": bool(data.get("all_or_nothing", False)),
            "is_active": True,
        }
        question = existing.get(data["key"])
        if question is None:
            question = Question.objects.create(quiz=quiz, key=data["key"], **values)
            report.created["questions"] += 1
        else:
            _sync(question, values, report, "questions")
        seen.add(data["key"])
        _sync_choices(question, data["choices"], report)
    for key, question in existing.items():
        if key not in seen and question.is_active:
            _sync(question, {"is_active": False}, report, "questions")


def _sync_choices(question: Question, choices: list[dict[str, Any]], report: LoadReport) -> None:
    """Update choices in place, matching them by text first, so that reordering choices in
    a file keeps each choice's id (which past attempts and regrades cite) on the same
    answer; a reworded choice takes over a leftover one, and extras are removed.
    """
    current = list(question.choices.all())
    by_text = {choice.text: choice for choice in current}
    wanted: list[dict[str, Any]] = []
    for order, data in enumerate(choices, start=1):
        wanted.append({
            "order": order,
            "text": str(data["text"]).strip(),
            "is_correct": bool(data.get("correct", False)),
            "credit": Decimal(str(data["credit"])) if data.get("credit") is not None else None,
            "feedback": str(data.get("feedback", "")).strip(),
        })
    matched = {id(values): by_text.pop(str(values["text"]), None) for values in wanted}
    leftovers = [choice for choice in current if choice.text in by_text]
    for values in wanted:
        choice = matched[id(values)] or (leftovers.pop(0) if leftovers else None)
        if choice is None:
            Choice.objects.create(question=question, **values)
            report.created["choices"] += 1
        else:
            _sync(choice, values, report, "choices")
    for extra in leftovers:
        extra.delete()
        report.updated["choices"] += 1


def _sync_glossary(course: Course, entries: list[dict[str, Any]], report: LoadReport) -> None:
    existing = {term.slug: term for term in course.glossary_terms.all()}
    for entry in entries:
        values = {"term": entry["term"], "definition": str(entry["definition"]).strip()}
        term = existing.pop(entry["slug"], None)
        if term is None:
            GlossaryTerm.objects.create(course=course, slug=entry["slug"], **values)
            report.created["glossary terms"] += 1
        else:
            _sync(term, values, report, "glossary terms")
    for term in existing.values():
        term.delete()
        report.updated["glossary terms"] += 1


def _sync_timeline(
    course: Course, events: list[dict[str, Any]], lessons: dict[str, Lesson],
    report: LoadReport,
) -> None:
    wanted = []
    for order, event in enumerate(events, start=1):
        slug, _sep, anchor = str(event.get("lesson") or "").partition("#")
        lesson = lessons.get(slug)
        wanted.append((
            order, _date_text(event["date"]), _date_text(event.get("end_date")),
            str(event["title"]).strip(), str(event["text"]).strip(),
            event.get("tag", "confirmed"), lesson.pk if lesson else None, anchor,
        ))
    current = list(
        course.timeline_events.order_by("order", "pk").values_list(
            "order", "date", "end_date", "title", "text", "tag", "lesson_id", "anchor"
        )
    )
    if current != wanted:
        if current:
            report.updated["timeline events"] += 1
        else:
            report.created["timeline events"] += len(wanted)
        course.timeline_events.all().delete()
        TimelineEvent.objects.bulk_create(
            TimelineEvent(course=course, order=o, date=d, end_date=e, title=t, text=x, tag=g,
                          lesson_id=lesson_id, anchor=a)
            for o, d, e, t, x, g, lesson_id, a in wanted
        )
