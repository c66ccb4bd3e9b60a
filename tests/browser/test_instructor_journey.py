"""An instructor's gradebook session in a real browser, with accessibility checks."""

from __future__ import annotations

import csv
import io
import re

import pytest
from playwright.sync_api import expect

from quizzes.services import attempt_start, attempt_submit
from tests.factories import (
    PASSWORD,
    CohortFactory,
    EnrolmentFactory,
    LessonFactory,
    UserFactory,
    make_quiz,
)

pytestmark = pytest.mark.django_db(transaction=True)


def test_gradebook_filter_download_and_drill_down(live_server, page, axe):
    lesson = LessonFactory.create(title="Geography")
    course = lesson.course
    quiz = make_quiz(course, lesson=lesson, title="Checkpoint: geography")
    teacher = UserFactory.create(username="teacher", is_staff=True)
    course.instructors.add(teacher)
    evening = CohortFactory.create(course=course, name="Evening")
    for name, cohort in (("amina", evening), ("bilal", None)):
        learner = UserFactory.create(username=name)
        EnrolmentFactory.create(user=learner, course=course, cohort=cohort)
        attempt = attempt_start(user=learner, quiz=quiz)
        attempt_submit(attempt=attempt, slots=list(attempt.slots.all()), answers={})

    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill("teacher")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/dashboard/")
    page.goto(f"{live_server.url}/courses/{course.slug}/")
    page.get_by_role("link", name="Gradebook").click()
    expect(page.get_by_role("heading", name=re.compile("Gradebook"))).to_be_visible()
    axe(page)

    page.get_by_label("Cohort").select_option(label="Evening")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_role("link", name="amina")).to_be_visible()
    expect(page.get_by_role("link", name="bilal")).to_have_count(0)

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download CSV").click()
    body = download_info.value.path().read_text(encoding="utf-8")
    rows = list(csv.reader(io.StringIO(body)))
    assert [row[0] for row in rows[1:]] == ["amina"]
    assert rows[1][5] == "0.00"

    page.get_by_role("link", name="amina").click()
    expect(page.get_by_role("link", name="Grant an extra attempt or more time")).to_be_visible()
    axe(page)
    page.get_by_role("link", name="Review attempt 1").click()
    expect(page.get_by_text("exactly as this learner saw them")).to_be_visible()
    axe(page)
