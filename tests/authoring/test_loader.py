from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from course.models import Course, Lesson
from quizzes.models import Attempt, Choice, Question, Quiz
from quizzes.services import attempt_start
from tests.factories import UserFactory

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
    attempt = attempt_start(user=UserFactory.create(), quiz=quiz)
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
