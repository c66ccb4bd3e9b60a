"""A learner's whole first session, in a real browser, with accessibility checks on each page."""

from __future__ import annotations

import io
import re

import pytest
from django.conf import settings
from django.core import mail
from django.core.management import call_command
from playwright.sync_api import expect

from quizzes.models import Attempt

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def loaded_course(transactional_db):
    call_command("load_course", str(settings.COURSE_FIXTURES_DIR), stdout=io.StringIO())


def test_sign_up_read_complete_take_quiz_and_see_dashboard(live_server, page, axe, loaded_course):
    page.goto(live_server.url)
    axe(page)
    page.get_by_role("link", name="Sign up").click()
    page.get_by_label("Username").fill("nadia")
    page.get_by_label("Email").fill("nadia@example.com")
    axe(page)
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    axe(page)
    link = re.search(r"https?://\S+/accounts/signup/\S+/", str(mail.outbox[-1].body))
    assert link, mail.outbox[-1].body
    page.goto(link.group(0))
    page.get_by_label(re.compile(r"^\s*New password\*?\s*$")).fill("a-long-pass-phrase-42")
    page.get_by_label("New password confirmation").fill("a-long-pass-phrase-42")
    axe(page)
    page.get_by_role("button", name="Finish creating my account").click()
    expect(page.get_by_text("Your account is ready")).to_be_visible()

    page.get_by_role("link", name=re.compile("Balochistan, cross-border")).click()
    page.get_by_role("button", name="Enrol in this course").click()
    expect(page.get_by_text("0 of 8 lessons completed")).to_be_visible()
    axe(page)

    page.get_by_role("link", name=re.compile("Start the first lesson")).click()
    expect(page.get_by_role("heading", name="Learning objectives")).to_be_visible()
    expect(page.get_by_role("heading", name="Sources")).to_be_visible()
    axe(page)
    page.get_by_role("button", name="Mark lesson complete").click()
    expect(page.get_by_text("You have completed this lesson.")).to_be_visible()

    page.get_by_role("link", name=re.compile("Take the checkpoint quiz")).click()
    page.get_by_role("button", name="Start the quiz").click()
    axe(page)
    questions = page.get_by_role("group")
    expect(questions.first).to_be_visible()
    assert questions.count() >= 6
    for index in range(questions.count()):
        questions.nth(index).locator("input:not([type=hidden])").first.check()
    page.get_by_role("button", name="Submit answers").click()

    expect(page.get_by_role("heading", name="Your result")).to_be_visible()
    expect(page.get_by_text(re.compile(r"\d+\.\d\d% — (Passed|Not passed)"))).to_be_visible()
    review_links = page.get_by_role("link", name=re.compile("Review this in the lesson"))
    expect(review_links.first).to_be_visible()
    axe(page)
    attempt = Attempt.objects.get(user__username="nadia")
    assert attempt.state == "finished"

    page.get_by_role("link", name="Dashboard").click()
    expect(page.get_by_text("1 of 8 lessons completed")).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("Continue where you left off"))).to_be_visible()
    expect(page.get_by_text("Course grade")).to_be_visible()
    axe(page)


def test_keyboard_only_learner_can_answer_and_submit(live_server, page, loaded_course):
    from django.contrib.auth import get_user_model

    from course.models import Course
    from course.services import enrolment_create

    user = get_user_model().objects.create_user("keys", password="a-long-pass-phrase-42")
    enrolment_create(user=user, course=Course.objects.get())
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill("keys")
    page.get_by_label("Password").fill("a-long-pass-phrase-42")
    page.keyboard.press("Enter")
    page.wait_for_url("**/dashboard/")
    page.goto(f"{live_server.url}/courses/balochistan-strikes-2024/quizzes/"
              "geography-and-peoples-checkpoint/")
    page.get_by_role("button", name="Start the quiz").focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/attempts/*/")
    page.get_by_role("radio").first.focus()
    page.keyboard.press("Space")
    expect(page.get_by_role("radio").first).to_be_checked()
    page.get_by_role("button", name="Submit answers").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Your result")).to_be_visible()


def test_answers_autosave_and_survive_a_reload_with_a_countdown(live_server, page, axe):
    from django.contrib.auth import get_user_model

    from course.services import enrolment_create
    from tests.factories import make_quiz

    quiz = make_quiz(n_questions=3, time_limit_minutes=20)
    user = get_user_model().objects.create_user("saver", password="a-long-pass-phrase-42")
    enrolment_create(user=user, course=quiz.course)
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill("saver")
    page.get_by_label("Password").fill("a-long-pass-phrase-42")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/dashboard/")
    page.goto(f"{live_server.url}{quiz.get_absolute_url()}")
    page.get_by_role("button", name="Start the quiz").click()
    timer = page.get_by_role("timer")
    expect(timer).to_contain_text(re.compile(r"(19|20):\d\d"))
    axe(page)
    second = page.get_by_role("group").nth(1)
    second.get_by_role("radio").nth(2).check()
    expect(second.get_by_text(re.compile("Saved at"))).to_be_visible()
    page.reload()
    expect(page.get_by_role("group").nth(1).get_by_role("radio").nth(2)).to_be_checked()
    assert Attempt.objects.get(user=user).responses.count() == 1
