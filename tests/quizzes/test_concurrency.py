"""Exactly-once finishing under real concurrency, on SQLite (a file database, as shipped)
and on PostgreSQL: many simultaneous finishes of one attempt, counted where they happen.
"""

from __future__ import annotations

import http.cookiejar
import re
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from django.db import connection

from quizzes import services
from quizzes.models import Attempt, AttemptState, Response
from quizzes.services import attempt_start
from tests.factories import PASSWORD, EnrolmentFactory, UserFactory, make_quiz

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def finishes(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Every finish that really happened: `_finish` returning, i.e. its compare-and-set on
    the attempt's state changed the row. A second finish raises instead."""
    happened: list[int] = []
    real = services._finish

    def spy(attempt: Attempt, *args: Any, **kwargs: Any) -> Attempt:
        finished = real(attempt, *args, **kwargs)
        happened.append(attempt.pk)
        return finished

    monkeypatch.setattr(services, "_finish", spy)
    return happened


def test_twenty_simultaneous_finishes_finish_the_attempt_exactly_once(finishes):
    quiz = make_quiz(n_questions=5)
    user = UserFactory.create(username="racer")
    EnrolmentFactory.create(user=user, course=quiz.course)
    attempt = attempt_start(user=user, quiz=quiz)
    slots = list(attempt.slots.all())
    answers = {s.question_id: [int(s.snapshot["choices"][0]["id"])] for s in slots}
    barrier = threading.Barrier(20)
    outcomes: list[str] = []

    def finish() -> None:
        mine = Attempt.objects.get(pk=attempt.pk)  # each request loads its own copy
        barrier.wait()
        try:
            services.attempt_submit(attempt=mine, slots=slots, answers=answers)
            outcomes.append("finished")
        except services.AttemptAlreadyFinished:
            outcomes.append("already")
        finally:
            connection.close()

    threads = [threading.Thread(target=finish) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert finishes == [attempt.pk]
    assert sorted(outcomes) == ["already"] * 19 + ["finished"]
    attempt.refresh_from_db()
    assert attempt.state == AttemptState.FINISHED
    assert attempt.percentage == 100
    assert Response.objects.filter(attempt=attempt).count() == 5


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def open_with_retry(opener: Any, request: Any) -> Any:
    """The test server's listen queue is small; a refused or reset connection before the
    request was read is the network's, not the app's, so it is tried again (bounded)."""
    for attempt in range(20):
        try:
            return opener.open(request, timeout=60)
        except urllib.error.HTTPError:
            raise
        except (ConnectionError, urllib.error.URLError):
            if attempt == 19:
                raise
            time.sleep(0.05 * (attempt + 1))
    raise AssertionError("unreachable")


def browser_session(base: str, username: str) -> tuple[urllib.request.OpenerDirector, str]:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect)
    page = opener.open(f"{base}/accounts/login/").read().decode()
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert found is not None, "the login page has no CSRF token"
    token = found.group(1)
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


def test_fifty_concurrent_submits_over_http_finish_the_attempt_once(live_server, finishes):
    quiz = make_quiz(n_questions=10)
    user = UserFactory.create(username="racer")
    EnrolmentFactory.create(user=user, course=quiz.course)
    attempt = attempt_start(user=user, quiz=quiz)
    slots = list(attempt.slots.all())
    base = live_server.url
    opener, csrf = browser_session(base, "racer")
    # The summary's "Submit all and finish", posted with the answers (as a stale tab would).
    form = [("csrfmiddlewaretoken", csrf), ("action", "confirm")]
    form += [(f"q{s.question_id}", str(s.snapshot["choices"][0]["id"])) for s in slots]
    body = urllib.parse.urlencode(form).encode()
    url = f"{base}/attempts/{attempt.pk}/submit/"

    def submit(_: int) -> int:
        request = urllib.request.Request(url, data=body, headers={"Referer": url})
        try:
            return int(open_with_retry(opener, request).status)
        except urllib.error.HTTPError as error:
            return error.code

    with ThreadPoolExecutor(max_workers=50) as pool:
        statuses = list(pool.map(submit, range(50)))
    connection.close()
    assert all(status < 500 for status in statuses), statuses
    assert statuses.count(302) == 50  # each to the result, with "already submitted" or not
    assert finishes == [attempt.pk]
    attempt.refresh_from_db()
    assert attempt.state == AttemptState.FINISHED
    assert attempt.percentage == 100
    assert Response.objects.filter(attempt=attempt).count() == 10
    assert Attempt.objects.filter(user=user).count() == 1
