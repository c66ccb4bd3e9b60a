"""What an attempt froze when it started renders on every page that shows it, under the
production static storage (config/settings/test.py), whatever became of the content since.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse

from course.models import Course
from course.rendering import render_markdown
from quizzes.models import Attempt, AttemptQuestion, Question, Quiz
from tests.factories import AttemptFactory, LessonFactory, QuizFactory, make_question

pytestmark = pytest.mark.django_db

MISSING_IMAGE = "![Map of the border crossings](static:course/img/missing-map.svg)"


@pytest.fixture(autouse=True)
def _fresh_renders() -> Iterator[None]:
    # Renders are cached per process; each test sees its own warnings.
    render_markdown.cache_clear()
    yield
    render_markdown.cache_clear()


def attempt_for(user, quiz: Quiz, *, finish: bool) -> Attempt:
    """An attempt with every question answered right, open or finished."""
    return AttemptFactory.create(user=user, quiz=quiz, right=quiz.questions.count(),
                                 finished=finish)


def test_a_missing_image_frozen_into_attempts_leaves_every_page_that_shows_them_working(
    course, instructor, client, student, enrol, caplog, django_assert_max_num_queries
):
    lesson = LessonFactory.create(course=course)
    quiz = QuizFactory.create(course=lesson.course, lesson=lesson)
    # Stored before links were checked on save: the attempts freeze the broken image.
    make_question(quiz, text=f"Which crossing is shown?\n\n{MISSING_IMAGE}",
                  explanation=f"See the map. {MISSING_IMAGE}", lesson=lesson,
                  section_anchor="first")
    make_question(quiz)
    make_question(quiz)
    enrol(student, quiz.course)
    finished = attempt_for(student, quiz, finish=True)
    open_attempt = attempt_for(student, quiz, finish=False)

    client.force_login(instructor)
    caplog.set_level(logging.WARNING, logger="course.rendering")
    with django_assert_max_num_queries(8):
        preview = client.get(reverse("gradebook:preview", args=[quiz.course.slug, quiz.slug]))
    assert preview.status_code == 200
    Question.objects.filter(quiz=quiz).update(text="Fixed, but too late for the attempts.")

    detail = client.get(reverse("gradebook:attempt_detail", args=[quiz.course.slug, finished.pk]))
    client.force_login(student)
    with django_assert_max_num_queries(8):
        take = client.get(reverse("quizzes:take", args=[open_attempt.pk]))
    with django_assert_max_num_queries(10):
        result = client.get(reverse("quizzes:result", args=[finished.pk]))
    for page in (preview, take, result, detail):
        assert page.status_code == 200
        assert "Map of the border crossings" in page.text
        assert "missing-map" not in page.text
    assert "static:course/img/missing-map.svg" in caplog.text


@pytest.fixture
def shipped_course(db: Any) -> Course:
    before = list(Course.objects.values_list("pk", flat=True))
    call_command("load_course", str(settings.COURSE_FIXTURES_DIR), stdout=io.StringIO())
    return Course.objects.exclude(pk__in=before).get()


def test_every_snapshot_of_every_attempt_renders_on_its_pages(
    client, student, enrol, shipped_course, instructor
):
    enrol(student, shipped_course)
    quizzes = list(shipped_course.quizzes.published().order_by("order", "pk"))
    for quiz in quizzes:  # the checkpoints are passed before the final exam needs them
        attempt_for(student, quiz, finish=True)
    for quiz in quizzes:
        attempt_for(student, quiz, finish=False)
    shipped_course.instructors.add(instructor)

    for slot in AttemptQuestion.objects.all():
        for text in (slot.snapshot["text"], slot.snapshot["explanation"]):
            assert render_markdown(text).broken_links == (), (slot.snapshot["key"], text)
    attempts = list(Attempt.objects.order_by("pk"))
    assert len(attempts) == 2 * len(quizzes)
    client.force_login(student)
    for attempt in attempts:
        page = "quizzes:take" if attempt.is_open else "quizzes:result"
        assert client.get(reverse(page, args=[attempt.pk])).status_code == 200
    client.force_login(instructor)
    for attempt in attempts:
        url = reverse("gradebook:attempt_detail", args=[shipped_course.slug, attempt.pk])
        assert client.get(url).status_code == 200
    for quiz in quizzes:
        url = reverse("gradebook:preview", args=[shipped_course.slug, quiz.slug])
        assert client.get(url).status_code == 200
