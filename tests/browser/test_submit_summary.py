"""Submitting safely in a real browser: the summary before finishing, flags for review in
the navigator and the summary, and a confirmed start of a timed quiz; axe on each page."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from course.services import enrolment_create
from quizzes.models import Attempt, AttemptState
from tests.browser.conftest import log_in
from tests.factories import make_quiz

pytestmark = pytest.mark.django_db(transaction=True)


def log_in_and_open(live_server: Any, page: Any, username: str, **quiz_settings: Any) -> Any:
    quiz = make_quiz(n_questions=3, **quiz_settings)
    user = get_user_model().objects.create_user(username, password="a-long-pass-phrase-42")
    enrolment_create(user=user, course=quiz.course)
    log_in(page, live_server.url, username)
    page.goto(f"{live_server.url}{quiz.get_absolute_url()}")
    return user


def test_an_empty_submit_reaches_the_summary_and_can_be_cancelled(live_server, page, axe):
    user = log_in_and_open(live_server, page, "empty")
    page.get_by_role("button", name="Start the quiz").click()
    page.wait_for_url("**/attempts/*/")
    page.get_by_role("button", name="Submit answers").click()
    expect(page.get_by_role("heading", name="Summary of attempt")).to_be_visible()
    expect(page.get_by_text("3 questions are not answered")).to_be_visible()
    rows = page.get_by_role("table").get_by_role("row")
    expect(rows).to_have_count(4)
    axe(page)
    page.get_by_role("link", name="Return to attempt").click()
    page.wait_for_url(re.compile(r"/attempts/\d+/$"))
    expect(page.get_by_role("button", name="Submit answers")).to_be_visible()
    assert Attempt.objects.get(user=user).state == AttemptState.OPEN


def test_a_flagged_question_shows_in_the_navigator_and_the_summary(live_server, page, axe):
    user = log_in_and_open(live_server, page, "flagger")
    page.get_by_role("button", name="Start the quiz").click()
    nav = page.get_by_role("navigation", name="Questions")
    expect(nav.get_by_role("link")).to_have_count(3)
    second = page.get_by_role("main").get_by_role("group").nth(1)
    with page.expect_response(lambda r: "/save/" in r.url and r.ok):
        second.get_by_label("Flag for review").check()
    flagged = re.compile(r"^Question 2 · not answered ·\s+flagged$")
    expect(nav.get_by_role("link", name=flagged)).to_be_visible()
    with page.expect_response(lambda r: "/save/" in r.url and r.ok):
        page.get_by_role("main").get_by_role("group").first.get_by_role("radio").first.check()
    expect(nav.get_by_role("link", name=re.compile(r"Question 1 · answered"))).to_be_visible()
    axe(page)
    nav.get_by_role("link", name=re.compile("Question 3")).click()
    expect(page).to_have_url(re.compile(r"#q\d+-legend$"))
    page.get_by_role("button", name="Submit answers").click()
    summary = page.get_by_role("table")
    row = summary.get_by_role("row", name=re.compile("Question 2"))
    expect(row).to_contain_text("Flagged for review")
    row = summary.get_by_role("row", name=re.compile("Question 1"))
    expect(row).to_contain_text("Answer saved")
    axe(page)
    summary.get_by_role("link", name="Question 2").click()
    second = page.get_by_role("main").get_by_role("group").nth(1)
    expect(second.get_by_label("Flag for review")).to_be_checked()
    page.get_by_role("button", name="Submit answers").click()
    page.get_by_role("button", name="Submit all and finish").click()
    expect(page.get_by_role("heading", name="Your result")).to_be_visible()
    assert Attempt.objects.get(user=user).state == AttemptState.FINISHED


def test_a_timed_start_is_confirmed_first(live_server, page, axe):
    user = log_in_and_open(live_server, page, "timed", time_limit_minutes=30, attempts_allowed=2)
    page.get_by_role("button", name="Start the quiz").click()
    expect(page.get_by_role("heading", name=re.compile("^Start “"))).to_be_visible()
    expect(page.get_by_text("Time limit: 30 minutes")).to_be_visible()
    expect(page.get_by_text("Attempts left: 2 of 2")).to_be_visible()
    axe(page)
    assert not Attempt.objects.filter(user=user).exists()
    page.get_by_role("button", name="Start attempt").click()
    expect(page.get_by_role("timer")).to_contain_text(re.compile(r"(29|30):\d\d"))
    assert Attempt.objects.get(user=user).deadline is not None
