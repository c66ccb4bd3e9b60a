"""Holes an attacker would probe (issue 8), each pinned: throttling, proxies, odd input,
the admin's "view on site", caching of private pages, and exact starts under concurrency."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from axes.models import AccessAttempt
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test import Client
from django.urls import reverse

from course.models import Course
from quizzes.models import Attempt, AttemptState
from quizzes.services import AttemptNotAllowed, attempt_start, attempt_submit
from tests.factories import (
    PASSWORD,
    CourseFactory,
    EnrolmentFactory,
    UserFactory,
    make_quiz,
)

pytestmark = pytest.mark.django_db


def login(client: Client, username: str, password: str = "wrong") -> Any:
    return client.post(reverse("login"), {"username": username, "password": password})


@pytest.mark.parametrize("url_name", ["login", "admin:login"])
def test_an_over_long_username_is_refused_cleanly(client, url_name):
    response = client.post(reverse(url_name), {"username": "u" * 300, "password": "x"})
    assert response.status_code == 200
    assert response.context["form"].errors


def test_an_over_long_username_failure_is_recorded_cut_to_size(rf):
    from course.throttling import attempted_username

    request = rf.post("/accounts/login/", {"username": "u" * 300})
    assert attempted_username(request, {"username": "v" * 300}) == "v" * 150
    assert attempted_username(request, None) == "u" * 150


def test_one_address_spraying_many_accounts_is_locked_out(client, settings):
    settings.AXES_ADDRESS_FAILURE_LIMIT = 12
    victims = [UserFactory.create(username=f"victim{i}") for i in range(13)]
    for victim in victims[:12]:
        assert login(client, victim.username).status_code == 200  # one guess each
    # Even the right password of an untouched account is refused from this address now.
    assert login(client, victims[12].username, PASSWORD).status_code == 429
    # The learner, elsewhere, is not locked out by someone else's spraying.
    elsewhere = Client(REMOTE_ADDR="198.51.100.20")
    assert login(elsewhere, victims[12].username, PASSWORD).status_code == 302


def test_one_account_guessed_from_many_addresses_is_locked_out(settings):
    settings.AXES_ACCOUNT_FAILURE_LIMIT = 6
    UserFactory.create(username="target")
    for i in range(6):
        assert login(Client(REMOTE_ADDR=f"198.51.100.{i + 1}"), "target").status_code == 200
    assert login(Client(REMOTE_ADDR="198.51.100.99"), "target", PASSWORD).status_code == 429


def test_lockout_is_per_client_behind_a_trusted_proxy(settings):
    """Behind a load balancer all requests come from its address; the lockout must
    follow the client's address from X-Forwarded-For, not lock out the whole school."""
    settings.TRUSTED_PROXY_COUNT = 1
    UserFactory.create(username="farid")
    attacker = Client(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="203.0.113.66")
    for _ in range(10):
        login(attacker, "farid")
    assert login(attacker, "farid", PASSWORD).status_code == 429
    assert AccessAttempt.objects.get().ip_address == "203.0.113.66"
    learner = Client(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="192.0.2.14")
    assert login(learner, "farid", PASSWORD).status_code == 302


def test_a_forged_forwarded_address_is_ignored_without_a_trusted_proxy(settings):
    settings.TRUSTED_PROXY_COUNT = 0
    UserFactory.create(username="farid")
    # Rotating a forged header must not give a fresh allowance per request.
    for i in range(10):
        login(Client(HTTP_X_FORWARDED_FOR=f"203.0.113.{i}"), "farid")
    forged = Client(HTTP_X_FORWARDED_FOR="203.0.113.200")
    assert login(forged, "farid", PASSWORD).status_code == 429


@pytest.mark.parametrize("spelling", ["+{id}", "%20{id}", "0{id}", "{id}%20"])
def test_view_on_site_stays_closed_to_staff_whatever_the_id_spelling(
    instructor_client, spelling
):
    course = CourseFactory.create(is_published=False)
    ct = ContentType.objects.get_for_model(Course).pk
    response = instructor_client.get(f"/admin/r/{spelling.format(id=ct)}/{course.pk}/")
    assert response.status_code == 404
    assert course.slug not in response.get("Location", "")


def test_view_on_site_still_works_for_superusers(client):
    course = CourseFactory.create()
    client.force_login(UserFactory.create(is_staff=True, is_superuser=True))
    ct = ContentType.objects.get_for_model(Course).pk
    response = client.get(f"/admin/r/+{ct}/{course.pk}/")
    assert response.status_code == 302
    assert course.get_absolute_url() in response["Location"]


@pytest.mark.parametrize(
    "url", ["/admin/quizzes/attempt/?state=%00", "/?q=%00", "/accounts/login/?next=%00",
            "/courses/%00/"],
)
def test_a_nul_byte_anywhere_is_a_400(client, url):
    client.force_login(UserFactory.create(is_staff=True, is_superuser=True))
    response = client.get(url)
    assert response.status_code == 400


def test_a_nul_byte_in_the_session_cookie_is_a_400(client):
    # Sent as a browser would send it; Django's parser turns \000 into a NUL byte.
    response = client.get(reverse("course:catalogue"), HTTP_COOKIE='sessionid="\\000abcdefghij"')
    assert response.status_code == 400


def test_spraying_from_one_ipv6_network_is_one_client(settings):
    """An IPv6 client holds a /64: a fresh address per guess must not reset its count."""
    settings.AXES_ADDRESS_FAILURE_LIMIT = 12
    victims = [UserFactory.create(username=f"v6victim{i}") for i in range(13)]
    for i, victim in enumerate(victims[:12]):
        sprayer = Client(REMOTE_ADDR=f"2001:db8:1:2::{i + 1:x}")
        assert login(sprayer, victim.username).status_code == 200
    next_address = Client(REMOTE_ADDR="2001:db8:1:2::ff")
    assert login(next_address, victims[12].username, PASSWORD).status_code == 429
    other_network = Client(REMOTE_ADDR="2001:db8:1:3::1")
    assert login(other_network, victims[12].username, PASSWORD).status_code == 302


def test_a_forwarded_chain_shorter_than_the_proxies_is_not_believed():
    from config.proxy import client_address

    meta = {"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_FOR": "203.0.113.9"}
    assert client_address(meta, 1, []) == "203.0.113.9"
    assert client_address(meta, 2, []) is None  # the one entry is not a proxy's
    two = {**meta, "HTTP_X_FORWARDED_FOR": "198.51.100.1, 203.0.113.9, 10.0.0.1"}
    assert client_address(two, 2, []) == "203.0.113.9"  # what the outer proxy saw


def test_a_nul_byte_in_a_form_field_is_a_400_and_changes_nothing(client):
    response = client.post(reverse("login"), {"username": "a\x00b", "password": "x"})
    assert response.status_code == 400
    assert not AccessAttempt.objects.exists()


def test_private_pages_and_exports_are_never_cached(client):
    course = CourseFactory.create()
    user = UserFactory.create(is_staff=True, is_superuser=True)
    client.force_login(user)
    for url in (reverse("quizzes:dashboard"),
                reverse("gradebook:gradebook_export", kwargs={"course_slug": course.slug,
                                                            "kind": "grades", "fmt": "csv"})):
        response = client.get(url)
        assert response.status_code == 200
        cache = response["Cache-Control"]
        assert "private" in cache
        assert "no-store" in cache


def test_public_pages_stay_cacheable_for_anonymous_visitors(client):
    response = client.get(reverse("course:catalogue"))
    assert "no-store" not in response.get("Cache-Control", "")


@pytest.mark.django_db(transaction=True)
def test_concurrent_starts_resume_one_attempt_and_never_refuse_wrongly():
    """With one attempt left, simultaneous starts (double clicks, two tabs) must all get
    the same new attempt. Before the learner lock, a start that lost the race could count
    the winner's attempt as used and answer "You have used all 2 attempts"."""
    quiz = make_quiz(n_questions=2, attempts_allowed=2)
    learners = [UserFactory.create(username=f"starter{i}") for i in range(20)]
    for learner in learners:
        EnrolmentFactory.create(user=learner, course=quiz.course)
        first = attempt_start(user=learner, quiz=quiz)
        attempt_submit(attempt=first, slots=list(first.slots.all()), answers={})
    refusals: list[str] = []
    barrier = threading.Barrier(10)

    def start(learner: Any) -> None:
        try:
            barrier.wait()
            attempt_start(user=learner, quiz=quiz)
        except AttemptNotAllowed as refusal:
            refusals.append(str(refusal))
        finally:
            connection.close()

    for learner in learners:
        threads = [threading.Thread(target=start, args=(learner,)) for _ in range(10)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert refusals == []
    for learner in learners:
        attempts = Attempt.objects.filter(user=learner, quiz=quiz)
        assert attempts.count() == 2
        assert attempts.filter(state=AttemptState.OPEN).count() == 1


def test_view_on_site_takes_an_instructor_to_each_object_of_a_course_they_teach(
    course, instructor_client
):
    from course.models import Lesson
    from quizzes.models import Quiz
    from tests.factories import LessonFactory

    course.is_published = False
    course.save(update_fields=["is_published"])
    lesson = LessonFactory.create(course=course)
    quiz = make_quiz(course, lesson=lesson)
    for obj, model in ((course, Course), (lesson, Lesson), (quiz, Quiz)):
        ct = ContentType.objects.get_for_model(model).pk
        response = instructor_client.get(f"/admin/r/{ct}/{obj.pk}/")
        assert response.status_code == 302
        assert response["Location"].endswith(obj.get_absolute_url())
    # The course page answers its own instructor, unpublished as it is.
    assert instructor_client.get(course.get_absolute_url()).status_code == 200


def test_the_admins_view_on_site_link_works_for_an_instructor(course, instructor_client):
    from tests.factories import LessonFactory

    lesson = LessonFactory.create(course=course)
    page = instructor_client.get(reverse("admin:course_lesson_change", args=[lesson.pk]))
    link = f"/admin/r/{ContentType.objects.get_for_model(lesson).pk}/{lesson.pk}/"
    assert link in page.text
    response = instructor_client.get(link, follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[-1][0].endswith(lesson.get_absolute_url())


@pytest.mark.parametrize("spelling", ["+{id}", "%20{id}", "0{id}", "{id}%20"])
def test_view_on_site_for_an_instructor_reads_any_id_spelling_as_the_same_object(
    course, instructor_client, spelling
):
    ct = ContentType.objects.get_for_model(Course).pk
    response = instructor_client.get(f"/admin/r/{ct}/{spelling.format(id=course.pk)}/")
    assert response.status_code == 302
    assert response["Location"].endswith(course.get_absolute_url())


def test_view_on_site_is_404_for_an_instructor_on_another_courses_lesson(instructor_client):
    from tests.factories import LessonFactory

    lesson = LessonFactory.create(course=CourseFactory.create(is_published=False))
    ct = ContentType.objects.get_for_model(lesson).pk
    assert instructor_client.get(f"/admin/r/{ct}/{lesson.pk}/").status_code == 404
    assert instructor_client.get(f"/admin/r/{ct}/99999999999999999999/").status_code == 404
