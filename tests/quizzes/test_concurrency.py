"""Exactly-once finishing under real concurrency: many simultaneous submits at a live server."""

from __future__ import annotations

import http.cookiejar
import re
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.conf import settings
from django.db import connection

from quizzes.models import Attempt, AttemptState, Response
from tests.factories import PASSWORD, EnrolmentFactory, UserFactory, make_quiz

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        "postgresql" not in settings.DATABASES["default"]["ENGINE"],
        reason="the live-server race runs on PostgreSQL (SQLite's test database is in memory)",
    ),
]


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        return None


def browser_session(base: str, username: str) -> tuple[urllib.request.OpenerDirector, str]:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect)
    page = opener.open(f"{base}/accounts/login/").read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    data = urllib.parse.urlencode(
        {"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token}
    ).encode()
    login = urllib.request.Request(
        f"{base}/accounts/login/", data=data, headers={"Referer": f"{base}/accounts/login/"}
    )
    with pytest.raises(urllib.error.HTTPError, match="302"):
        opener.open(login)
    csrf = next(c.value for c in jar if c.name == "csrftoken")
    assert csrf
    return opener, csrf


def test_fifty_concurrent_submits_finish_the_attempt_once(live_server):
    quiz = make_quiz(n_questions=10)
    user = UserFactory.create(username="racer")
    EnrolmentFactory.create(user=user, course=quiz.course)
    from quizzes.services import attempt_start

    attempt = attempt_start(user=user, quiz=quiz)
    slots = list(attempt.slots.all())
    base = live_server.url
    opener, csrf = browser_session(base, "racer")
    form = [("csrfmiddlewaretoken", csrf), ("action", "finish")]
    form += [(f"q{s.question_id}", str(s.snapshot["choices"][0]["id"])) for s in slots]
    body = urllib.parse.urlencode(form).encode()
    url = f"{base}/attempts/{attempt.pk}/submit/"

    def submit(_: int) -> int:
        request = urllib.request.Request(url, data=body, headers={"Referer": url})
        try:
            return opener.open(request, timeout=30).status
        except urllib.error.HTTPError as error:
            return error.code

    with ThreadPoolExecutor(max_workers=50) as pool:
        statuses = list(pool.map(submit, range(50)))
    connection.close()
    assert all(status < 500 for status in statuses), statuses
    assert statuses.count(302) == 50
    attempt.refresh_from_db()
    assert attempt.state == AttemptState.FINISHED
    assert attempt.percentage == 100
    assert Response.objects.filter(attempt=attempt).count() == 10
    assert Attempt.objects.filter(user=user).count() == 1
