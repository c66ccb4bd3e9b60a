"""Markdown rendering: links resolve under production's static storage, and a bad link is
shown as its text and logged, never an error page."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator

import pytest
from django.urls import reverse

from course.rendering import BrokenLink, render_markdown
from tests.factories import CourseFactory, LessonFactory, LessonSourceFactory

MAP = "![Map of the border region](static:course/img/region-map.svg)"
MISSING = "![Map of the border crossings](static:course/img/missing-map.svg)"


@pytest.fixture(autouse=True)
def _fresh_renders() -> Iterator[None]:
    # Renders are cached per process; each test sees its own warnings.
    render_markdown.cache_clear()
    yield
    render_markdown.cache_clear()


def test_static_image_points_at_the_file_production_storage_hashed():
    rendered = render_markdown(MAP)
    assert re.search(r'src="/static/course/img/region-map\.[0-9a-f]{12}\.svg"', rendered.html)
    assert rendered.broken_links == ()


def test_missing_static_image_shows_its_alt_text_and_logs_a_warning(caplog):
    caplog.set_level(logging.WARNING, logger="course.rendering")
    rendered = render_markdown(f"Before. {MISSING} After.")
    assert "<img" not in rendered.html
    assert "Map of the border crossings" in rendered.html
    assert "Before." in rendered.html
    assert "After." in rendered.html
    assert rendered.broken_links == (
        BrokenLink(BrokenLink.MISSING_STATIC_FILE, "static:course/img/missing-map.svg"),
    )
    assert "static:course/img/missing-map.svg" in caplog.text


@pytest.mark.parametrize(
    "target", ["../config/settings/base.py", "/etc/passwd", "course/../../manage.py", ""]
)
def test_static_link_cannot_reach_outside_the_static_folders(target):
    rendered = render_markdown(f"[the file](static:{target})")
    assert "href" not in rendered.html
    assert "the file" in rendered.html
    assert [link.code for link in rendered.broken_links] == [BrokenLink.MISSING_STATIC_FILE]


def test_link_to_a_missing_section_is_shown_as_text_and_a_present_one_kept():
    rendered = render_markdown(
        "See [the border](#the-border) and [the coast](#the-coast).\n\n"
        "## The border {#the-border}\n\nText."
    )
    assert '<a href="#the-border"' in rendered.html
    assert "#the-coast" not in rendered.html
    assert "the coast" in rendered.html
    assert rendered.broken_links == (BrokenLink(BrokenLink.MISSING_SECTION, "#the-coast"),)


def test_glossary_links_point_at_the_glossary_and_are_listed():
    rendered = render_markdown("[Makran](glossary:makran) and [Gwadar](glossary:gwadar).",
                               "/glossary/")
    assert 'href="/glossary/#makran"' in rendered.html
    assert rendered.glossary_slugs == ("makran", "gwadar")
    assert rendered.broken_links == ()


def test_a_link_written_as_code_is_left_alone():
    rendered = render_markdown(f"Write `{MISSING}` to show an image.")
    assert "static:course/img/missing-map.svg" in rendered.html
    assert rendered.broken_links == ()


@pytest.mark.django_db
def test_lesson_page_with_a_missing_image_shows_the_rest_of_the_lesson(
    student_client, student, enrol, django_assert_max_num_queries
):
    course = CourseFactory.create()
    lessons = [
        LessonFactory.create(course=course, body=f"Intro {n}.\n\n## Map {{#map}}\n\n{MISSING}")
        for n in range(3)
    ]
    for lesson in lessons:
        LessonSourceFactory.create_batch(3, lesson=lesson)
    enrol(student, course)
    url = reverse("course:lesson_detail", args=[course.slug, lessons[1].slug])
    with django_assert_max_num_queries(8):
        response = student_client.get(url)
    assert response.status_code == 200
    assert "Intro 1." in response.text
    assert "Map of the border crossings" in response.text
    assert "missing-map" not in response.text
