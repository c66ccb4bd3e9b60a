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
    questions = page.get_by_role("main").get_by_role("group")
    expect(questions.first).to_be_visible()
    assert questions.count() >= 6
    for index in range(questions.count()):
        questions.nth(index).locator("input:not([type=hidden])").first.check()
    page.get_by_role("button", name="Submit answers").click()
    expect(page.get_by_role("heading", name="Summary of attempt")).to_be_visible()
    axe(page)
    page.get_by_role("button", name="Submit all and finish").click()

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


# What has the keyboard focus and how well its focus indicator shows, measured once the
# focus transition has run: the best contrast, against the background around the control,
# of an outline or a box-shadow ring (Bootstrap's way) of some size. Chromium's own
# `outline: auto` ring is two-toned, visible on any background.
FOCUSED = """async () => {
    const el = document.activeElement;
    if (!el || el === document.body) return null;
    await Promise.all(el.getAnimations().map((a) => a.finished.catch(() => null)));
    const rgba = (text) => {
        const [r, g, b, a = 1] = text.match(/[\\d.]+/g).map(Number);
        return [r, g, b, a];
    };
    let background = [255, 255, 255];
    for (let node = el.parentElement; node; node = node.parentElement) {
        const colour = rgba(getComputedStyle(node).backgroundColor);
        if (colour[3] > 0) { background = colour.slice(0, 3); break; }
    }
    const luminance = ([r, g, b]) => [r, g, b]
        .map((c) => c / 255)
        .map((c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4))
        .reduce((sum, c, i) => sum + c * [0.2126, 0.7152, 0.0722][i], 0);
    const contrast = ([r, g, b, a]) => {
        const drawn = [r, g, b].map((c, i) => a * c + (1 - a) * background[i]);
        const [lighter, darker] = [luminance(drawn), luminance(background)].sort((x, y) => y - x);
        return (lighter + 0.05) / (darker + 0.05);
    };
    const style = getComputedStyle(el);
    const contrasts = [1];
    if (!["none", "hidden"].includes(style.outlineStyle) && parseFloat(style.outlineWidth) > 0) {
        contrasts.push(style.outlineStyle === "auto" ? 21 : contrast(rgba(style.outlineColor)));
    }
    // colour, x and y offsets, blur, spread
    const ring = /(rgba?\\([^)]*\\)) -?[\\d.]+px -?[\\d.]+px ([\\d.]+)px (-?[\\d.]+)px/g;
    for (const [, colour, blur, spread] of style.boxShadow.matchAll(ring)) {
        if (parseFloat(blur) > 0 || parseFloat(spread) > 0) contrasts.push(contrast(rgba(colour)));
    }
    const label = el.labels && el.labels.length ? el.labels[0].innerText : "";
    return {
        tag: el.tagName.toLowerCase(), type: el.type || "", name: el.name || "",
        text: (label || el.getAttribute("aria-label") || el.innerText || el.value || "").trim(),
        checked: Boolean(el.checked),
        indicator: `outline ${style.outline}; box-shadow ${style.boxShadow}`,
        contrast: Math.max(...contrasts),
    };
}"""

# WCAG's minimum for a focus indicator against what surrounds it (2.4.13, 1.4.11).
FOCUS_CONTRAST = 3


def tab_to(page, wanted, *, backwards: bool = False, limit: int = 80) -> dict:
    """Press Tab (Shift+Tab backwards) until the focused element is `wanted`, checking that
    every element the focus passes through shows that it has it."""
    seen = []
    for _ in range(limit):
        page.keyboard.press("Shift+Tab" if backwards else "Tab")
        focused = page.evaluate(FOCUSED)
        if focused is None:  # past the last control, on the page itself
            continue
        seen.append(focused["text"] or focused["name"])
        assert focused["contrast"] >= FOCUS_CONTRAST, f"focus is not visible on {focused}"
        if wanted(focused):
            return focused
    pytest.fail(f"Tab never reached the control; it visited {seen}")


def test_keyboard_only_learner_can_answer_and_submit(live_server, page, loaded_course):
    from django.contrib.auth import get_user_model

    from course.models import Course
    from course.services import enrolment_create

    user = get_user_model().objects.create_user("keys", password="a-long-pass-phrase-42")
    enrolment_create(user=user, course=Course.objects.get())
    page.goto(f"{live_server.url}/accounts/login/")
    tab_to(page, lambda f: f["name"] == "username")
    page.keyboard.type("keys")
    tab_to(page, lambda f: f["name"] == "password")
    page.keyboard.type("a-long-pass-phrase-42")
    tab_to(page, lambda f: f["name"] == "username", backwards=True)  # and back again
    tab_to(page, lambda f: f["tag"] == "button" and f["text"] == "Log in")
    page.keyboard.press("Enter")
    page.wait_for_url("**/dashboard/")

    page.goto(f"{live_server.url}/courses/balochistan-strikes-2024/quizzes/"
              "geography-and-peoples-checkpoint/")
    tab_to(page, lambda f: f["tag"] == "button" and f["text"] == "Start the quiz")
    page.keyboard.press("Enter")
    page.wait_for_url("**/attempts/*/")
    first = tab_to(page, lambda f: f["type"] == "radio")
    assert not first["checked"]
    page.keyboard.press("Space")
    assert page.evaluate(FOCUSED)["checked"]
    expect(page.get_by_role("radio").first).to_be_checked()
    tab_to(page, lambda f: f["tag"] == "button" and f["text"] == "Submit answers")
    page.keyboard.press("Enter")
    page.wait_for_url("**/summary/")
    tab_to(page, lambda f: f["tag"] == "button" and f["text"] == "Submit all and finish")
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
    page.get_by_role("button", name="Start attempt").click()  # a timed quiz asks first
    timer = page.get_by_role("timer")
    expect(timer).to_contain_text(re.compile(r"(19|20):\d\d"))
    axe(page)
    second = page.get_by_role("group").nth(1)
    second.get_by_role("radio").nth(2).check()
    expect(second.get_by_text(re.compile("Saved at"))).to_be_visible()
    page.reload()
    expect(page.get_by_role("group").nth(1).get_by_role("radio").nth(2)).to_be_checked()
    assert Attempt.objects.get(user=user).responses.count() == 1
