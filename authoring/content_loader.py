"""Load the shipped course from reviewable files (docs/content-format.md).

Three steps, and nothing is written before the last. `parse` reads the files and checks
what only the files can tell: their structure and YAML types, the references from one file
to another, and the links. `_stage` builds every row the load would write and runs it
through its model's `full_clean`, so that slugs, lengths, ranges, choices and constraints
are the models' own rules, reported with the file and item at fault. Then the write runs
in one transaction. A broken file changes nothing; a second load of the same files changes
nothing; content is updated in place, so learners' progress and attempts are never touched.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Generic, TypeVar

import yaml
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models, transaction
from django.db.models import Model

from course.models import Course, GlossaryTerm, Lesson, LessonSource, TimelineEvent
from course.rendering import Rendered, render_markdown
from quizzes import limits, scoring
from quizzes.models import Choice, GradingMethod, Question, QuestionKind, Quiz, ReviewTiming
from quizzes.services import quiz_update

M = TypeVar("M", bound=Model)


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


def _numbers(
    data: dict[str, Any], keys: Iterable[str], where: str, problems: list[str], *,
    whole: bool = False,
) -> None:
    """The YAML type of each of `keys` given: a number, or a whole one. Its range is the
    model's rule, checked when the row is staged."""
    for key in keys:
        value = data.get(key)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int if whole else int | float):
            kind = "a whole number" if whole else "a number"
            problems.append(f"{where}: {key} must be {kind} (not {value!r})")


def _decimal(value: Any, where: str, problems: list[str]) -> Decimal | None:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        problems.append(f"{where}: {value!r} is not a number")
        return None


def _duplicates(values: Iterable[Any], what: str, where: str, problems: list[str]) -> None:
    for value, count in Counter(values).items():
        if count > 1:
            problems.append(f"{where}: {what} '{value}' is used {count} times")


@dataclass
class Plan:
    course: dict[str, Any]
    lessons: list[dict[str, Any]]
    quizzes: list[dict[str, Any]]
    glossary: list[dict[str, Any]]
    timeline: list[dict[str, Any]]
    root: Path


def parse(root: Path) -> Plan:
    """Read every file and check what the files alone can tell; raise ContentError listing
    all problems found."""
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
        _duplicates((str(entry.get("slug")) for entry in glossary), "slug", str(glossary_path),
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
        _numbers(meta, ["order", "estimated_minutes"], str(path), problems, whole=True)
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
    _duplicates((lesson["slug"] for lesson in lessons), "slug", "lessons", problems)
    anchors = {lesson["slug"]: lesson["anchors"] for lesson in lessons}

    quizzes: list[dict[str, Any]] = []
    for path in sorted((root / "quizzes").glob("*.yaml")):
        quiz = _read_yaml(path, problems)
        if not isinstance(quiz, dict):
            continue
        if not _require(quiz, ["slug", "title", "questions"], str(path), problems):
            continue
        quiz["questions"] = _mappings(quiz["questions"], f"{path} questions", problems)
        _numbers(quiz, ["pass_mark", "weight"], str(path), problems)
        _numbers(quiz, ["order", "attempt_delay_minutes", "attempts_allowed",
                        "time_limit_minutes", "questions_per_attempt"], str(path), problems,
                 whole=True)
        if quiz.get("lesson") and quiz["lesson"] not in anchors:
            problems.append(f"{path}: lesson '{quiz['lesson']}' does not exist")
        if len(quiz["questions"]) > limits.max_questions():
            problems.append(f"{path}: {len(quiz['questions'])} questions; a quiz holds at most "
                            f"{limits.max_questions()} (QUIZ_MAX_QUESTIONS): split it")
        _duplicates((q.get("key") for q in quiz["questions"]), "question key", str(path),
                    problems)
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
            lesson_ref = str(event.get("lesson") or "")
            slug, _sep, anchor = lesson_ref.partition("#")
            if slug and slug not in anchors:
                problems.append(f"{where}: lesson '{slug}' does not exist")
            elif anchor and anchor not in anchors[slug]:
                problems.append(f"{where}: lesson '{slug}' has no section '#{anchor}'")
    if problems:
        raise ContentError(problems)
    return Plan(course, lessons, quizzes, glossary, timeline, root)


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
    _numbers(question, ["points"], where, problems)
    specs = []
    for index, choice in enumerate(question["choices"], start=1):
        if not isinstance(choice.get("text"), str):
            problems.append(f"{where} choice {index}: 'text' must be a string (quote True/False)")
        credit = choice.get("credit")
        value = None
        if credit is not None:
            value = _decimal(credit, f"{where} choice {index}", problems)
        specs.append(scoring.ChoiceSpec(index, bool(choice.get("correct")), value))
    # A kind the model does not know is reported when the question is staged.
    if question["kind"] in QuestionKind.values:
        for problem in scoring.question_problems(question["kind"], specs):
            problems.append(f"{where}: {problem}")
    section = str(question.get("section") or "")
    if section:
        slug, _sep, anchor = section.partition("#")
        if slug not in anchors:
            problems.append(f"{where}: section lesson '{slug}' does not exist")
        elif anchor and anchor not in anchors[slug]:
            problems.append(f"{where}: lesson '{slug}' has no section '#{anchor}'")


# --------------------------------------------------------------------------- model rules

#: Markdown fields, whose links `parse` checks across all the files: a lesson's glossary
#: terms and the sections that questions cite arrive in the same load, where the models
#: would look for them in the database. `full_clean` leaves these fields out, so their
#: own field rules (a lesson's body may not be blank) run on their own.
_LINKED_FIELDS: dict[type[Model], set[str]] = {
    Course: {"description"},
    Lesson: {"body"},
    Question: {"text", "explanation"},
}

#: Django's messages speak to someone at a form ("Ensure this value is…"); an author
#: editing a file reads "pass_mark must be at most 100 (not 150)" better.
_PHRASES = {
    "min_value": "must be at least {limit_value} (not {value})",
    "max_value": "must be at most {limit_value} (not {value})",
    "max_length": "must be at most {limit_value} characters long (it has {show_value})",
}


def _model_problems(obj: Model, where: str) -> list[str]:
    """Every rule of its model that `obj` breaks, found by `full_clean`, each naming `where`
    and the field. Foreign keys are left out: the loader sets each to a row it loaded or is
    about to create (which the model would look up, or refuse while unsaved).
    """
    linked = _LINKED_FIELDS.get(type(obj), set())
    foreign_keys = {f.name for f in obj._meta.concrete_fields if f.many_to_one}
    errors: dict[str, list[ValidationError]] = {}
    try:
        obj.full_clean(exclude=linked | foreign_keys)
    except ValidationError as exc:
        errors = exc.update_error_dict(errors)
    for name in sorted(linked):
        model_field = obj._meta.get_field(name)
        assert isinstance(model_field, models.Field)
        try:
            model_field.clean(getattr(obj, name), obj)
        except ValidationError as exc:
            errors.setdefault(name, []).extend(exc.error_list)
    return [_describe(where, name, error) for name, found in errors.items() for error in found]


def _describe(where: str, name: str, error: ValidationError) -> str:
    message = " ".join(error.messages)
    if name == NON_FIELD_ERRORS:
        return f"{where}: {message}"
    phrase = _PHRASES.get(error.code or "")
    if phrase and error.params:
        return f"{where}: {name} {phrase.format(**error.params)}"
    return f"{where}: {name}: {message}"


@dataclass
class _Row(Generic[M]):
    """A row the load writes: `obj` as stored, or new and unsaved (then holding `values`
    already); `values` as the model cleaned them."""

    obj: M
    values: dict[str, Any]

    @property
    def is_new(self) -> bool:
        return self.obj._state.adding


def _row(obj: M, values: dict[str, Any], where: str, problems: list[str]) -> _Row[M]:
    """`obj` with `values`, checked by its model. A stored row is checked on a copy and
    left as it is, so that the write still sees what changes; one that `values` leave as
    it is is not checked, as nothing is written to it (so a reload costs few queries).
    """
    if not obj._state.adding and all(getattr(obj, k) == v for k, v in values.items()):
        return _Row(obj, values)
    candidate = obj if obj._state.adding else copy.copy(obj)
    for name, value in values.items():
        setattr(candidate, name, value)
    problems.extend(_model_problems(candidate, where))
    return _Row(obj, {name: getattr(candidate, name) for name in values})


@dataclass
class _StagedQuestion:
    row: _Row[Question]
    choices: list[_Row[Choice]]
    #: Stored choices the file no longer has.
    removed: list[Choice]


@dataclass
class _StagedQuiz:
    row: _Row[Quiz]
    questions: list[_StagedQuestion]
    #: Active questions the file no longer has: retired, since past attempts cite them.
    retired: list[Question]


@dataclass
class _Replacement(Generic[M]):
    """Rows written as a whole list (sources, timeline): `rows` when they differ from the
    stored ones, else None."""

    rows: list[M] | None
    stored: bool


@dataclass
class _Staged:
    course: _Row[Course]
    lessons: list[tuple[_Row[Lesson], _Replacement[LessonSource]]]
    #: Published lessons the files no longer have: unpublished, not deleted.
    retired_lessons: list[Lesson]
    quizzes: list[_StagedQuiz]
    glossary: list[_Row[GlossaryTerm]]
    removed_terms: list[GlossaryTerm]
    timeline: _Replacement[TimelineEvent]


def _replacement(rows: list[M], wanted: list[tuple[Any, ...]],
                 stored: list[tuple[Any, ...]]) -> _Replacement[M]:
    return _Replacement(rows if wanted != stored else None, bool(stored))


def _stage(plan: Plan) -> _Staged:
    """Every row the load would write, each checked by its model; nothing is saved.
    Raises ContentError naming the file and item of every model rule broken."""
    problems: list[str] = []
    data = plan.course
    stored_course = Course.objects.filter(slug=data["slug"]).first()
    course = _row(stored_course or Course(slug=data["slug"]), {
        "title": data["title"],
        "subtitle": data.get("subtitle", ""),
        "summary": str(data["summary"]).strip(),
        "description": str(data.get("description", "")).strip(),
        "is_published": bool(data.get("is_published", True)),
    }, str(plan.root / "course.yaml"), problems)

    stored_lessons: dict[str, Lesson] = {}
    if stored_course is not None:
        stored_lessons = {lesson.slug: lesson for lesson in stored_course.lessons.all()}
    lessons: dict[str, _Row[Lesson]] = {}
    staged_lessons = []
    for item in plan.lessons:
        slug, where = str(item["slug"]), str(item["path"])
        stored_lesson = stored_lessons.pop(slug, None)
        lesson = _row(stored_lesson or Lesson(course=course.obj, slug=slug), {
            "title": item["title"],
            "order": item["order"],
            "summary": str(item.get("summary", "")).strip(),
            "objectives": "\n".join(str(o).strip() for o in item.get("objectives") or []),
            "estimated_minutes": item.get("estimated_minutes", 10),
            "body": item["body"],
            "is_published": bool(item.get("is_published", True)),
            "requires_previous": bool(item.get("requires_previous", False)),
            "last_verified": item.get("last_verified"),
        }, where, problems)
        lessons[slug] = lesson
        staged_lessons.append((lesson, _stage_sources(lesson, item, where, problems)))
    retired_lessons = [lesson for lesson in stored_lessons.values() if lesson.is_published]

    stored_quizzes: dict[str, Quiz] = {}
    if stored_course is not None:
        stored_quizzes = {q.slug: q for q in stored_course.quizzes.select_related("lesson")}
    quizzes = [_stage_quiz(course.obj, item, stored_quizzes.get(str(item["slug"])), lessons,
                           problems) for item in plan.quizzes]

    stored_terms: dict[str, GlossaryTerm] = {}
    if stored_course is not None:
        stored_terms = {term.slug: term for term in stored_course.glossary_terms.all()}
    glossary = []
    for index, entry in enumerate(plan.glossary, start=1):
        term = stored_terms.pop(str(entry["slug"]), None)
        glossary.append(_row(
            term or GlossaryTerm(course=course.obj, slug=entry["slug"]),
            {"term": entry["term"], "definition": str(entry["definition"]).strip()},
            f"{plan.root / 'glossary.yaml'} entry {index}", problems,
        ))
    timeline = _stage_timeline(course.obj, stored_course, plan, lessons, problems)
    if problems:
        raise ContentError(problems)
    return _Staged(course, staged_lessons, retired_lessons, quizzes, glossary,
                  list(stored_terms.values()), timeline)


def _stage_sources(
    lesson: _Row[Lesson], item: dict[str, Any], where: str, problems: list[str]
) -> _Replacement[LessonSource]:
    sources = [
        LessonSource(lesson=lesson.obj, order=order, title=s["title"], publisher=s["publisher"],
                     url=s["url"], published=_date_text(s.get("date")))
        for order, s in enumerate(item.get("sources") or [], start=1)
    ]
    for index, source in enumerate(sources, start=1):
        problems.extend(_model_problems(source, f"{where} source {index}"))
    fields = ("order", "title", "publisher", "url", "published")
    stored = [] if lesson.is_new else list(
        lesson.obj.sources.order_by("order", "pk").values_list(*fields)
    )
    wanted = [tuple(getattr(source, name) for name in fields) for source in sources]
    return _replacement(sources, wanted, stored)


def _stage_quiz(
    course: Course, item: dict[str, Any], stored: Quiz | None, lessons: dict[str, _Row[Lesson]],
    problems: list[str],
) -> _StagedQuiz:
    where = str(item["path"])
    lesson = lessons.get(item["lesson"]) if item.get("lesson") else None
    quiz = _row(stored or Quiz(course=course, slug=item["slug"]), {
        "lesson": lesson.obj if lesson else None,
        "title": item["title"],
        "description": str(item.get("description", "")).strip(),
        "order": item.get("order", lesson.values["order"] if lesson else 100),
        "pass_mark": Decimal(str(item.get("pass_mark", 70))),
        "weight": Decimal(str(item.get("weight", 1))),
        "grading_method": item.get("grading_method", GradingMethod.HIGHEST),
        "is_published": bool(item.get("is_published", True)),
        "last_verified": item.get("last_verified"),
        "attempts_allowed": item.get("attempts_allowed"),
        "attempt_delay_minutes": item.get("attempt_delay_minutes", 0),
        "time_limit_minutes": item.get("time_limit_minutes"),
        "questions_per_attempt": item.get("questions_per_attempt"),
        "shuffle_questions": bool(item.get("shuffle_questions", False)),
        "shuffle_choices": bool(item.get("shuffle_choices", False)),
        "review_score": item.get("review_score", ReviewTiming.IMMEDIATELY),
        "review_answers": item.get("review_answers", ReviewTiming.IMMEDIATELY),
        "review_feedback": item.get("review_feedback", ReviewTiming.IMMEDIATELY),
        "requires_checkpoints_passed": bool(item.get("requires_checkpoints_passed", False)),
    }, where, problems)
    stored_questions: dict[str, Question] = {}
    if stored is not None:
        stored_questions = {
            q.key: q for q in stored.questions.select_related("lesson").prefetch_related("choices")
        }
    questions = []
    for order, data in enumerate(item["questions"], start=1):
        key = str(data["key"])
        question_where = f"{where} question '{key}'"
        slug, _sep, anchor = str(data.get("section") or "").partition("#")
        section_lesson = lessons.get(slug) if slug else None
        stored_question = stored_questions.pop(key, None)
        question = _row(stored_question or Question(quiz=quiz.obj, key=key), {
            "order": order,
            "kind": data["kind"],
            "text": str(data["text"]).strip(),
            "points": Decimal(str(data.get("points", 1))),
            "explanation": str(data.get("explanation", "")).strip(),
            "lesson": section_lesson.obj if section_lesson else None,
            "section_anchor": anchor,
            "all_or_nothing": bool(data.get("all_or_nothing", False)),
            "is_active": True,
        }, question_where, problems)
        stored_choices = list(stored_question.choices.all()) if stored_question else []
        questions.append(_StagedQuestion(question, *_stage_choices(
            question.obj, stored_choices, data["choices"], question_where, problems
        )))
    retired = [q for q in stored_questions.values() if q.is_active]
    return _StagedQuiz(quiz, questions, retired)


def _stage_choices(
    question: Question, stored: list[Choice], items: list[dict[str, Any]], where: str,
    problems: list[str],
) -> tuple[list[_Row[Choice]], list[Choice]]:
    """Choices matched to the stored ones by text first, so that reordering choices in a
    file keeps each choice's id (which past attempts and regrades cite) on the same
    answer; a reworded choice takes over a leftover one, and the rest are removed.
    """
    by_text = {choice.text: choice for choice in stored}
    wanted: list[dict[str, Any]] = [{
        "order": order,
        "text": str(data["text"]).strip(),
        "is_correct": bool(data.get("correct", False)),
        "credit": Decimal(str(data["credit"])) if data.get("credit") is not None else None,
        "feedback": str(data.get("feedback", "")).strip(),
    } for order, data in enumerate(items, start=1)]
    matched = [by_text.pop(values["text"], None) for values in wanted]
    leftovers = [choice for choice in stored if choice.text in by_text]
    rows = []
    for index, (values, choice) in enumerate(zip(wanted, matched, strict=True), start=1):
        choice = choice or (leftovers.pop(0) if leftovers else None)
        rows.append(_row(choice or Choice(question=question), values, f"{where} choice {index}",
                         problems))
    return rows, leftovers


def _stage_timeline(
    course: Course, stored_course: Course | None, plan: Plan, lessons: dict[str, _Row[Lesson]],
    problems: list[str],
) -> _Replacement[TimelineEvent]:
    events = []
    slugs = []
    for order, event in enumerate(plan.timeline, start=1):
        slug, _sep, anchor = str(event.get("lesson") or "").partition("#")
        lesson = lessons.get(slug)
        events.append(TimelineEvent(
            course=course, order=order, date=_date_text(event["date"]),
            end_date=_date_text(event.get("end_date")), title=str(event["title"]).strip(),
            text=str(event["text"]).strip(), tag=event.get("tag", TimelineEvent.Tag.CONFIRMED),
            lesson=lesson.obj if lesson else None, anchor=anchor,
        ))
        slugs.append(slug if lesson else None)
    for index, staged in enumerate(events, start=1):
        problems.extend(_model_problems(staged, f"{plan.root / 'timeline.yaml'} entry {index}"))
    # Lessons by slug: a lesson this load creates has no id yet.
    fields = ("order", "date", "end_date", "title", "text", "tag", "lesson__slug", "anchor")
    stored = [] if stored_course is None else list(
        stored_course.timeline_events.order_by("order", "pk").values_list(*fields)
    )
    wanted = [
        (e.order, e.date, e.end_date, e.title, e.text, e.tag, slug, e.anchor)
        for e, slug in zip(events, slugs, strict=True)
    ]
    return _replacement(events, wanted, stored)


# --------------------------------------------------------------------------- writing


def _sync(obj: Model, values: dict[str, Any], report: LoadReport, kind: str) -> None:
    """Save `values` onto an existing object only when something differs."""
    changed = [name for name, value in values.items() if getattr(obj, name) != value]
    if changed:
        for name in changed:
            setattr(obj, name, values[name])
        obj.save(update_fields=changed)
        report.updated[kind] += 1


def _save(row: _Row[M], report: LoadReport, kind: str) -> M:
    if row.is_new:
        # Its parents were saved first: save() takes their ids from them.
        row.obj.save()
        report.created[kind] += 1
    else:
        _sync(row.obj, row.values, report, kind)
    return row.obj


def _replace(
    replacement: _Replacement[M], stored: models.QuerySet[M], report: LoadReport, kind: str
) -> None:
    if replacement.rows is None:
        return
    stored.delete()
    stored.model._default_manager.bulk_create(replacement.rows)
    if replacement.stored:
        report.updated[kind] += 1
    else:
        report.created[kind] += len(replacement.rows)


@transaction.atomic
def load(root: Path) -> LoadReport:
    """Check the files under `root`, then create or update the course they describe."""
    plan = parse(root)
    _check_room(plan)
    staged = _stage(plan)
    report = LoadReport()
    course = _save(staged.course, report, "courses")
    for lesson, sources in staged.lessons:
        _save(lesson, report, "lessons")
        _replace(sources, LessonSource.objects.filter(lesson=lesson.obj), report,
                 "lesson sources")
    for retired in staged.retired_lessons:
        _sync(retired, {"is_published": False}, report, "lessons")
    for quiz in staged.quizzes:
        _write_quiz(quiz, report)
    for term in staged.glossary:
        _save(term, report, "glossary terms")
    for removed in staged.removed_terms:
        removed.delete()
        report.updated["glossary terms"] += 1
    _replace(staged.timeline, TimelineEvent.objects.filter(course=course), report,
             "timeline events")
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


def _write_quiz(staged: _StagedQuiz, report: LoadReport) -> None:
    row = staged.row
    if row.is_new:
        row.obj.save()
        report.created["quizzes"] += 1
    elif quiz_update(quiz=row.obj, **row.values).changed:
        # Through the service, so a new pass mark or time limit reaches past attempts.
        report.updated["quizzes"] += 1
    for question in staged.questions:
        _save(question.row, report, "questions")
        for choice in question.choices:
            _save(choice, report, "choices")
        for extra in question.removed:
            extra.delete()
            report.updated["choices"] += 1
    for retired in staged.retired:
        _sync(retired, {"is_active": False}, report, "questions")
