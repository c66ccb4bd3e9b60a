"""A locked lesson seen from the course page, in a real browser, with accessibility checks."""

from __future__ import annotations

import io
import re

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from playwright.sync_api import expect

from course.models import Course
from course.services import enrolment_create
from tests.browser.conftest import log_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_locked_lesson_says_what_opens_it_from_the_course_page(live_server, page, axe):
    call_command("load_course", str(settings.COURSE_FIXTURES_DIR), stdout=io.StringIO())
    course = Course.objects.get()
    user = get_user_model().objects.create_user("locked", password="a-long-pass-phrase-42")
    enrolment_create(user=user, course=course)
    log_in(page, live_server.url, "locked")
    axe(page)

    page.goto(f"{live_server.url}{course.get_absolute_url()}")
    third = course.lessons.get(order=3)
    lock = page.get_by_text(re.compile(r"Locked\. Complete lesson 2, .*, to open\.")).first
    expect(lock).to_be_visible()
    # The locked lesson's title is plain text, not a link that bounces.
    expect(page.get_by_role("link", name=third.title, exact=True)).to_have_count(0)
    axe(page)

    page.goto(f"{live_server.url}{third.get_absolute_url()}")
    expect(page.get_by_role("heading", name=third.title)).to_be_visible()
    expect(page.get_by_text("This lesson is locked. Complete lesson 2")).to_be_visible()
    axe(page)
    expect(page.get_by_role("link", name="Go to lesson 2")).to_be_visible()
    # Lesson 2 waits on lesson 1 too, so the page offers the lesson open now.
    page.get_by_role("link", name="Continue with lesson 1").click()
    expect(page.get_by_role("heading", name="Learning objectives")).to_be_visible()
