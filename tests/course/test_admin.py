"""Course content admin: a lesson or course whose Markdown links lead nowhere is refused,
with an error naming the link, before it can reach a learner's page."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from course.models import GlossaryTerm, Lesson, TimelineEvent
from tests.factories import CourseFactory, LessonFactory, QuizFactory, make_question

pytestmark = pytest.mark.django_db

MISSING = "![Map of the border crossings](static:course/img/missing-map.svg)"
SHIPPED = "![Map of the border region](static:course/img/region-map.svg)"


@pytest.fixture
def lesson(course: Any, instructor_client: Any) -> Lesson:
    """A lesson of the instructor's course; `client` is the instructor's, logged in."""
    return LessonFactory.create(course=course)


def save_lesson(client: Any, lesson: Lesson, body: str) -> Any:
    data = {
        "course": lesson.course_id, "title": lesson.title, "slug": lesson.slug,
        "order": lesson.order, "summary": lesson.summary, "is_published": "on",
        "objectives": lesson.objectives, "estimated_minutes": lesson.estimated_minutes,
        "body": body, "last_verified": "",
        "sources-TOTAL_FORMS": "0", "sources-INITIAL_FORMS": "0",
        "sources-MIN_NUM_FORMS": "0", "sources-MAX_NUM_FORMS": "1000",
    }
    return client.post(reverse("admin:course_lesson_change", args=[lesson.pk]), data)


def test_lesson_with_a_missing_static_image_is_refused_naming_the_image(client, lesson):
    response = save_lesson(client, lesson, f"{lesson.body}\n\n{MISSING}")
    assert response.status_code == 200
    assert "static:course/img/missing-map.svg" in response.text
    assert "names no file in the static folders" in response.text
    lesson.refresh_from_db()
    assert "missing-map" not in lesson.body
    assert save_lesson(client, lesson, f"{lesson.body}\n\n{SHIPPED}").status_code == 302


def test_lesson_link_to_a_section_it_lacks_is_refused(client, lesson):
    response = save_lesson(client, lesson, f"See [the coast](#the-coast).\n\n{lesson.body}")
    assert response.status_code == 200
    assert "“#the-coast” names no section" in response.text
    body = f"See [the first part](#first).\n\n{lesson.body}"
    assert save_lesson(client, lesson, body).status_code == 302


def test_lesson_glossary_link_needs_a_term_in_the_course_glossary(client, lesson):
    body = f"The [Makran](glossary:makran) coast.\n\n{lesson.body}"
    assert "glossary:makran" in save_lesson(client, lesson, body).text
    GlossaryTerm.objects.create(course=lesson.course, slug="makran", term="Makran",
                                definition="A coast.")
    assert save_lesson(client, lesson, body).status_code == 302


def test_a_section_that_questions_or_the_timeline_cite_cannot_be_dropped(client, lesson):
    quiz = QuizFactory.create(course=lesson.course, title="Checkpoint")
    make_question(quiz, key="border-question", lesson=lesson, section_anchor="first")
    TimelineEvent.objects.create(course=lesson.course, date="2024-01-16", title="Strikes",
                                 text="Iran strikes.", lesson=lesson, anchor="second")
    response = save_lesson(client, lesson, "Intro.\n\n## Renamed {#renamed}\n\nText.")
    assert response.status_code == 200
    assert "“Checkpoint: border-question” links to the section “#first”" in response.text
    assert "“Strikes” links to the section “#second”" in response.text
    assert "first" in Lesson.objects.get(pk=lesson.pk).body


def test_course_description_with_a_missing_image_is_refused():
    course = CourseFactory.build(description=f"About the course.\n\n{MISSING}")
    with pytest.raises(ValidationError) as refused:
        course.full_clean()
    [error] = refused.value.error_dict["description"]
    assert error.code == "missing_static_file"
    assert error.params == {"target": "static:course/img/missing-map.svg"}
