from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from course.models import Course, Lesson
from quizzes.models import Attempt, Choice, Question, Quiz
from tests.factories import AttemptFactory, UserFactory

pytestmark = pytest.mark.django_db

COURSE = """slug: demo
title: Demo course
summary: A small course.
"""
LESSON = """---
slug: first
title: First lesson
order: 1
objectives: [One, Two, Three]
sources:
  - {title: A, publisher: P, url: "https://example.com/a", date: 2024-01-17}
---
Intro with [Makran](glossary:makran).

## The section {#the-section}

Body.
"""
QUIZ = """slug: first-check
title: First check
lesson: first
questions:
  - key: q1
    kind: single
    text: Which?
    section: first#the-section
    choices:
      - {text: Right, correct: true}
      - {text: Wrong}
  - key: q2
    kind: true_false
    text: Is it?
    choices:
      - {text: "True", correct: true}
      - {text: "False"}
"""
GLOSSARY = """- {slug: makran, term: Makran, definition: A coast.}
"""


@pytest.fixture
def content(tmp_path: Path) -> Path:
    (tmp_path / "lessons").mkdir()
    (tmp_path / "quizzes").mkdir()
    (tmp_path / "course.yaml").write_text(COURSE)
    (tmp_path / "glossary.yaml").write_text(GLOSSARY)
    (tmp_path / "lessons" / "01-first.md").write_text(LESSON)
    (tmp_path / "quizzes" / "01-first.yaml").write_text(QUIZ)
    return tmp_path


def load(path: Path) -> str:
    from io import StringIO

    out = StringIO()
    call_command("load_course", str(path), stdout=out)
    return out.getvalue()


def test_loading_twice_changes_nothing(content):
    assert "created" in load(content)
    assert "nothing changed" in load(content)
    assert Question.objects.count() == 2


def test_reload_updates_content_in_place_and_keeps_attempts(content):
    load(content)
    quiz = Quiz.objects.get(slug="first-check")
    attempt = AttemptFactory.create(user=UserFactory.create(), quiz=quiz, finished=False)
    choice_ids = sorted(Choice.objects.values_list("pk", flat=True))
    (content / "quizzes" / "01-first.yaml").write_text(QUIZ.replace("Which?", "Which one?"))
    assert "1 questions updated" in load(content)
    assert Question.objects.get(key="q1").text == "Which one?"
    assert sorted(Choice.objects.values_list("pk", flat=True)) == choice_ids
    assert Attempt.objects.filter(pk=attempt.pk).exists()
    assert attempt.slots.get(position=1).snapshot["text"] == "Which?"


def test_question_removed_from_the_file_is_retired_not_deleted(content):
    load(content)
    shortened = QUIZ.split("  - key: q2")[0]
    (content / "quizzes" / "01-first.yaml").write_text(shortened)
    load(content)
    assert not Question.objects.get(key="q2").is_active


@pytest.mark.parametrize(
    ("filename", "text", "message"),
    [
        ("quizzes/01-first.yaml", QUIZ.replace("correct: true}", "}", 1),
         "exactly one choice with 100% credit"),
        ("quizzes/01-first.yaml", QUIZ.replace("first#the-section", "first#nowhere"),
         "has no section '#nowhere'"),
        ("quizzes/01-first.yaml", QUIZ.replace('text: "True"', "text: True"),
         "must be a string"),
        ("quizzes/01-first.yaml", QUIZ + "  - key: [broken\n", "01-first.yaml:"),
        ("lessons/01-first.md", LESSON.replace("glossary:makran", "glossary:nowhere"),
         "glossary link 'nowhere'"),
        ("lessons/01-first.md", LESSON.replace("---\n", "", 1), "front-matter"),
        ("lessons/01-first.md", LESSON.replace("order: 1", "order: abc"), "order must be"),
        ("quizzes/01-first.yaml", "pass_mark: 150\n" + QUIZ, "pass_mark must be"),
        ("quizzes/01-first.yaml", QUIZ.split("questions:")[0] + "questions: 5\n",
         "must be a list of entries"),
        ("glossary.yaml", "makran: A coast.\n", "must be a list of entries"),
        ("quizzes/01-first.yaml", QUIZ.replace("kind: single", "kind: single\n    points: 0"),
         "points must be"),
    ],
)
def test_a_broken_file_names_the_fault_and_loads_nothing(content, filename, text, message):
    (content / filename).write_text(text)
    with pytest.raises(CommandError, match="nothing changed") as excinfo:
        load(content)
    assert message in str(excinfo.value)
    assert not Course.objects.exists()
    assert not Lesson.objects.exists()


def test_shipped_course_loads(tmp_path):
    shutil.copytree(settings.COURSE_FIXTURES_DIR, tmp_path / "course")
    load(tmp_path / "course")
    assert Lesson.objects.count() >= 2


def test_a_lesson_that_is_not_utf8_is_named(content):
    (content / "lessons" / "01-first.md").write_bytes(b"---\nslug: \xff\n---\n")
    with pytest.raises(CommandError, match="cannot read as UTF-8"):
        load(content)


def test_reordering_choices_in_the_file_keeps_each_answers_id(content):
    load(content)
    ids = {c.text: c.pk for c in Choice.objects.filter(question__key="q1")}
    swapped = QUIZ.replace(
        "      - {text: Right, correct: true}\n      - {text: Wrong}",
        "      - {text: Wrong}\n      - {text: Right, correct: true}",
    )
    (content / "quizzes" / "01-first.yaml").write_text(swapped)
    load(content)
    after = {c.text: (c.pk, c.is_correct) for c in Choice.objects.filter(question__key="q1")}
    assert after == {"Right": (ids["Right"], True), "Wrong": (ids["Wrong"], False)}
    assert "nothing changed" in load(content)


def test_links_that_lead_nowhere_are_named_with_their_file_and_nothing_loads(content):
    (content / "course.yaml").write_text(COURSE + 'description: "![Logo](static:logo.svg)"\n')
    (content / "lessons" / "01-first.md").write_text(
        LESSON + "\n![Map](static:course/img/missing-map.svg)\n\nSee [the coast](#the-coast).\n"
    )
    (content / "quizzes" / "01-first.yaml").write_text(
        QUIZ.replace("text: Which?", 'text: "Which? ![Map](static:course/img/x.svg)"')
    )
    with pytest.raises(CommandError, match="nothing changed") as excinfo:
        load(content)
    problems = str(excinfo.value)
    lesson = content / "lessons" / "01-first.md"
    quiz = content / "quizzes" / "01-first.yaml"
    course = content / "course.yaml"
    assert f"{course} description: link 'static:logo.svg' names no file" in problems
    assert (f"{lesson}: link 'static:course/img/missing-map.svg' names no file in the static "
            "folders") in problems
    assert f"{lesson}: link '#the-coast' names no section heading" in problems
    assert f"{quiz} question 'q1' text: link 'static:course/img/x.svg' names no file" in problems
    assert not Course.objects.exists()
    assert not Question.objects.exists()


# --------------------------------------------------------------------------- model rules

MULTIPLE = """  - key: q3
    kind: multiple
    text: Which two?
    choices:
      - {text: A, correct: true, credit: 50}
      - {text: B, correct: true, credit: 50}
      - {text: C, credit: -150}
"""


def refused(path: Path) -> str:
    with pytest.raises(CommandError, match="nothing changed") as excinfo:
        load(path)
    return str(excinfo.value)


def test_model_rules_are_reported_with_their_file_and_item_and_nothing_loads(content):
    quiz = content / "quizzes" / "01-first.yaml"
    quiz.write_text(QUIZ.replace("title: First check", "title: " + "x" * 201) + MULTIPLE)
    problems = refused(content)
    assert f"{quiz}: title must be at most 200 characters long (it has 201)" in problems
    assert f"{quiz} question 'q3' choice 3: credit must be at least -100 (not -150)" in problems
    assert not Course.objects.exists()
    assert not Question.objects.exists()


def test_a_refused_reload_leaves_the_loaded_course_as_it_was(content):
    load(content)
    lesson = content / "lessons" / "01-first.md"
    lesson.write_text(LESSON.replace("title: First lesson", "title: Renamed")
                      .replace('url: "https://example.com/a"', 'url: "not a url"'))
    problems = refused(content)
    assert f"{lesson} source 1: url: Enter a valid URL." in problems
    assert Lesson.objects.get().title == "First lesson"


@pytest.mark.parametrize(
    ("filename", "old", "new", "message"),
    [
        ("course.yaml", "slug: demo", "slug: my demo", "course.yaml: slug: Enter a valid"),
        ("quizzes/01-first.yaml", "title: First check", "title: First check\ngrading_method: best",
         "01-first.yaml: grading_method: Value 'best' is not a valid choice."),
        ("quizzes/01-first.yaml", "title: First check", "title: First check\ntime_limit_minutes: 0",
         "01-first.yaml: The time limit must be at least 1 minute, or empty for none."),
        ("quizzes/01-first.yaml", "kind: true_false", "kind: essay",
         "question 'q2': kind: Value 'essay' is not a valid choice."),
        ("lessons/01-first.md", "order: 1", "order: 1\nlast_verified: yesterday",
         "01-first.md: last_verified: “yesterday” value has an invalid date format."),
        ("glossary.yaml", "term: Makran", "term: " + "y" * 201,
         "glossary.yaml entry 1: term must be at most 200 characters long (it has 201)"),
    ],
)
def test_each_model_rule_the_files_break_is_named(content, filename, old, new, message):
    path = content / filename
    path.write_text(path.read_text().replace(old, new, 1))
    assert message in refused(content)
    assert not Course.objects.exists()


def test_a_lesson_body_may_not_be_empty_though_its_links_are_the_loaders_to_check(content):
    lesson = content / "lessons" / "01-first.md"
    lesson.write_text(LESSON.split("---\n", 2)[0] + "---\n" + LESSON.split("---\n", 2)[1]
                      + "---\n")
    (content / "quizzes" / "01-first.yaml").write_text(QUIZ.replace("first#the-section", "first"))
    assert f"{lesson}: body: This field cannot be blank." in refused(content)


def test_values_the_model_converts_load_once_and_then_change_nothing(content):
    (content / "course.yaml").write_text(COURSE.replace("title: Demo course", "title: 1984"))
    load(content)
    assert Course.objects.get().title == "1984"
    assert "nothing changed" in load(content)
