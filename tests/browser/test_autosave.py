"""Autosave in a real browser: saves arrive in order, and a lapsed session is named."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from course.services import enrolment_create
from quizzes.models import Attempt
from tests.browser.conftest import log_in
from tests.factories import make_quiz

pytestmark = pytest.mark.django_db(transaction=True)


def start_quiz(live_server: Any, page: Any, username: str) -> Any:
    quiz = make_quiz(n_questions=2)
    user = get_user_model().objects.create_user(username, password="a-long-pass-phrase-42")
    enrolment_create(user=user, course=quiz.course)
    log_in(page, live_server.url, username)
    page.goto(f"{live_server.url}{quiz.get_absolute_url()}")
    page.get_by_role("button", name="Start the quiz").click()
    page.wait_for_url("**/attempts/*/")
    return user


def test_a_quick_second_change_is_saved_after_the_first_never_before(live_server, page):
    """The first save is held in the network; the learner changes their mind meanwhile.
    The newer answer must be the one stored, whatever order the network answers in."""
    user = start_quiz(live_server, page, "quick")
    held: list[Any] = []

    def hold_first(route: Any) -> None:
        if held:
            route.continue_()
        else:
            held.append(route)

    page.route("**/save/", hold_first)
    radios = page.get_by_role("group").first.get_by_role("radio")
    with page.expect_request("**/save/"):
        radios.nth(0).check()
    radios.nth(1).check()  # while the first save is still on its way
    newer = radios.nth(1).get_attribute("value")

    def carries_newer(response: Any) -> bool:
        return "/save/" in response.url and f"\r\n\r\n{newer}\r\n" in (
            response.request.post_data or ""
        )

    with page.expect_response(carries_newer):
        held[0].continue_()
    expect(page.get_by_role("group").first.get_by_text(re.compile("Saved at"))).to_be_visible()
    response = Attempt.objects.get(user=user).responses.get()
    assert [str(choice) for choice in response.selected] == [newer]


def test_a_save_after_the_session_lapsed_says_so(live_server, page):
    start_quiz(live_server, page, "lapsed")
    page.context.clear_cookies()
    page.get_by_role("group").first.get_by_role("radio").first.check()
    expect(page.get_by_text(re.compile("your session has expired"))).to_be_visible()
