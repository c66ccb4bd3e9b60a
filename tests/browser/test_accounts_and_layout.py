"""Account recovery in a real browser, and the layout at phone widths: no sideways
scrolling, a menu that works without JavaScript, form controls one can see."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from playwright.sync_api import expect

from tests.browser.conftest import log_in

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "a-long-pass-phrase-42"


@pytest.fixture
def learner(transactional_db) -> Any:
    """A learner enrolled in the shipped course, every lesson read, one quiz attempt done."""
    from course.models import Course
    from course.services import enrolment_create, lesson_mark_complete
    from quizzes.services import attempt_start, attempt_submit

    call_command("load_course", str(settings.COURSE_FIXTURES_DIR), stdout=io.StringIO())
    user = get_user_model().objects.create_user(
        "layla", email="layla@example.com", password=PASSWORD
    )
    course = Course.objects.get()
    enrolment_create(user=user, course=course)
    for lesson in course.lessons.all():
        lesson_mark_complete(user=user, lesson=lesson)
    quizzes = list(course.quizzes.filter(is_published=True))
    finished = attempt_start(user=user, quiz=quizzes[0])
    attempt_submit(attempt=finished, slots=list(finished.slots.all()), answers={})
    open_attempt = attempt_start(user=user, quiz=quizzes[1])
    user.take_url = reverse("quizzes:take", kwargs={"pk": open_attempt.pk})  # type: ignore[attr-defined]
    user.learner_pages = [  # type: ignore[attr-defined]
        reverse("course:catalogue"),
        course.get_absolute_url(),
        reverse("course:glossary", kwargs={"slug": course.slug}),
        reverse("course:timeline", kwargs={"slug": course.slug}),
        *(lesson.get_absolute_url() for lesson in course.lessons.all()),
        *(quiz.get_absolute_url() for quiz in quizzes),
        reverse("quizzes:take", kwargs={"pk": open_attempt.pk}),
        reverse("quizzes:result", kwargs={"pk": finished.pk}),
        reverse("quizzes:dashboard"),
        reverse("password_change"),
    ]
    return user


def test_password_reset_end_to_end_through_the_mailbox(live_server, page, axe, learner):
    page.goto(f"{live_server.url}{reverse('quizzes:dashboard')}")
    expect(page.get_by_text("Log in to see this page.")).to_be_visible()
    page.get_by_role("link", name="Forgot password?").click()
    axe(page)
    page.get_by_label("Email").fill("layla@example.com")
    page.get_by_role("button", name="Send the link").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    link = re.search(r"https?://\S+/accounts/reset/\S+/", str(mail.outbox[-1].body))
    assert link, mail.outbox[-1].body
    page.goto(link.group(0))
    expect(page.get_by_role("heading", name="Choose a new password")).to_be_visible()
    page.get_by_label(re.compile(r"^\s*New password\*?\s*$")).fill("short")
    page.get_by_label("New password confirmation").fill("short")
    page.get_by_role("button", name="Set my password").click()
    error = page.locator("#id_new_password1 ~ .invalid-feedback, #error_1_id_new_password1")
    expect(error.first).to_contain_text("too short")
    axe(page)
    page.get_by_label(re.compile(r"^\s*New password\*?\s*$")).fill("another-long-phrase-7")
    page.get_by_label("New password confirmation").fill("another-long-phrase-7")
    page.get_by_role("button", name="Set my password").click()
    expect(page.get_by_role("heading", name="Your new password is set")).to_be_visible()
    axe(page)
    page.get_by_role("main").get_by_role("link", name="Log in").click()
    page.get_by_label("Username").fill("layla")
    page.get_by_label("Password").fill("another-long-phrase-7")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"**{reverse('quizzes:dashboard')}")


NO_SIDEWAYS_SCROLL = "document.documentElement.scrollWidth <= window.innerWidth"


@pytest.mark.parametrize("width", [390, 320])
def test_no_learner_page_scrolls_sideways_on_a_phone(live_server, browser, learner, width):
    context = browser.new_context(viewport={"width": width, "height": 800})
    page = context.new_page()
    pages = [reverse("login"), reverse("signup"), reverse("password_reset")]
    for path in pages:
        page.goto(f"{live_server.url}{path}")
        assert page.evaluate(NO_SIDEWAYS_SCROLL), f"{path} scrolls sideways at {width} px"
    log_in(page, live_server.url, "layla", PASSWORD)
    overflowing = []
    for path in learner.learner_pages:
        page.goto(f"{live_server.url}{path}")
        if not page.evaluate(NO_SIDEWAYS_SCROLL):
            overflowing.append(path)
    context.close()
    assert not overflowing, f"at {width} px these pages scroll sideways: {overflowing}"


def test_the_phone_menu_opens_without_javascript(live_server, browser, learner):
    context = browser.new_context(viewport={"width": 390, "height": 800},
                                  java_script_enabled=False)
    page = context.new_page()
    log_in(page, live_server.url, "layla", PASSWORD)
    dashboard = page.get_by_role("link", name="Dashboard")
    expect(dashboard).to_be_hidden()
    page.locator("label", has_text="Menu").click()
    expect(page.get_by_role("checkbox", name="Menu")).to_be_checked()
    expect(dashboard).to_be_visible()
    dashboard.click()
    page.wait_for_url(f"**{reverse('quizzes:dashboard')}")
    context.close()


def test_the_wide_menu_shows_its_links_without_a_toggle(live_server, page, learner):
    log_in(page, live_server.url, "layla", PASSWORD)
    expect(page.get_by_role("link", name="Dashboard")).to_be_visible()
    expect(page.get_by_text("Menu")).to_be_hidden()


# The contrast against white of a control's outline (its computed border colour).
BORDER_CONTRAST = """(el) => {
    const [r, g, b] = getComputedStyle(el).borderTopColor.match(/[\\d.]+/g).map(Number);
    const lum = [r, g, b].map((c) => c / 255)
        .map((c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4))
        .reduce((sum, c, i) => sum + c * [0.2126, 0.7152, 0.0722][i], 0);
    return 1.05 / (lum + 0.05);
}"""


def test_radio_checkbox_and_text_outlines_reach_three_to_one(live_server, page, learner):
    log_in(page, live_server.url, "layla", PASSWORD)
    page.goto(f"{live_server.url}{learner.take_url}")
    controls = page.get_by_role("main").locator("input[type=radio], input[type=checkbox]")
    assert controls.count() > 1
    for index in range(controls.count()):
        assert controls.nth(index).evaluate(BORDER_CONTRAST) >= 3
    page.goto(f"{live_server.url}{reverse('password_change')}")
    assert page.get_by_label("Old password").evaluate(BORDER_CONTRAST) >= 3


def test_the_map_opens_full_size_from_the_timeline_and_lesson_one(live_server, page, learner):
    log_in(page, live_server.url, "layla", PASSWORD)
    page.set_viewport_size({"width": 390, "height": 800})
    for path in (learner.learner_pages[3], learner.learner_pages[4]):
        page.goto(f"{live_server.url}{path}")
        expect(page.get_by_role("img", name=re.compile("Schematic map"))).to_be_visible()
        page.get_by_role("link", name=re.compile("Open the map full size")).click()
        page.wait_for_url("**/region-map.svg")
        assert page.evaluate("document.documentElement.getAttribute('viewBox')") == "0 0 1000 895"
