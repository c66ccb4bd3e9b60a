"""Every URL × every role: the status each role gets, and no other learner's data.

The URLs are enumerated from the URLconf, so a new URL without a rule here fails the
suite. Statuses are GET requests; state-changing views refuse GET (405).
"""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from quizzes.services import attempt_start, attempt_submit
from tests.factories import (
    CourseFactory,
    EnrolmentFactory,
    LessonFactory,
    UserFactory,
    make_quiz,
)

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "owner", "classmate", "outsider", "instructor", "other_instructor",
         "superuser"]
LOGIN = 302  # redirect to the log-in page

# name: (kwargs builder key, {role: status}); roles not listed get `default`.
ANYONE_200 = dict.fromkeys(ROLES, 200)
LEARNER_ONLY = {"anonymous": LOGIN, "owner": 200, "classmate": 404, "outsider": 404,
                "instructor": 404, "other_instructor": 404, "superuser": 404}
TEACHER_ONLY = {"anonymous": LOGIN, "owner": 404, "classmate": 404, "outsider": 404,
                "instructor": 200, "other_instructor": 404, "superuser": 200}
POST_ONLY = {**dict.fromkeys(ROLES, 405), "anonymous": LOGIN}
LOGGED_IN_200 = {**dict.fromkeys(ROLES, 200), "anonymous": LOGIN}

RULES: dict[str, tuple[str, dict[str, int]]] = {
    "signup": ("none", {**dict.fromkeys(ROLES, 302), "anonymous": 200}),
    "signup_done": ("none", ANYONE_200),
    "signup_confirm": ("reset", dict.fromkeys(ROLES, 400)),  # a made-up link
    "login": ("none", ANYONE_200),
    "logout": ("none", dict.fromkeys(ROLES, 405)),
    "password_change": ("none", LOGGED_IN_200),
    "password_change_done": ("none", LOGGED_IN_200),
    "password_reset": ("none", ANYONE_200),
    "password_reset_done": ("none", ANYONE_200),
    "password_reset_confirm": ("reset", ANYONE_200),
    "password_reset_complete": ("none", ANYONE_200),
    "quizzes:dashboard": ("none", LOGGED_IN_200),
    "quizzes:detail": ("quiz", LOGGED_IN_200),
    "quizzes:start": ("quiz", POST_ONLY),
    # Shown to anyone logged in; it says why when they may not start.
    "quizzes:start_confirm": ("quiz", LOGGED_IN_200),
    "quizzes:take": ("attempt", {**LEARNER_ONLY, "owner": 302}),  # finished: to the result
    # POST-only: a GET is refused before anything is looked up; POSTs by anyone but the
    # owner are 404s (tests/quizzes/test_quiz_flow.py, test_rules.py).
    "quizzes:save": ("attempt", POST_ONLY),
    "quizzes:submit": ("attempt", POST_ONLY),
    "quizzes:result": ("attempt", LEARNER_ONLY),
    "quizzes:summary": ("attempt", {**LEARNER_ONLY, "owner": 302}),  # finished: to the result
    "gradebook:gradebook": ("course", TEACHER_ONLY),
    "gradebook:gradebook_export": ("export", TEACHER_ONLY),
    "gradebook:analysis": ("quiz", TEACHER_ONLY),
    "gradebook:preview": ("quiz", TEACHER_ONLY),
    "gradebook:learner_detail": ("learner", TEACHER_ONLY),
    "gradebook:attempt_detail": ("teacher_attempt", TEACHER_ONLY),
    "course:catalogue": ("none", ANYONE_200),
    "course:detail": ("course_slug", ANYONE_200),
    "course:enrol": ("course_slug", POST_ONLY),
    "course:glossary": ("course_slug", ANYONE_200),
    "course:timeline": ("course_slug", ANYONE_200),
    "course:lesson_detail": ("lesson", {**LOGGED_IN_200, "outsider": 302,
                                        "other_instructor": 302}),
    "course:lesson_complete": ("lesson", POST_ONLY),
}


def url_names(patterns: list[Any], namespace: str = "") -> list[str]:
    names = []
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            if pattern.app_name == "admin":
                continue  # the admin has its own permission tests
            inner = pattern.namespace or namespace
            names += url_names(pattern.url_patterns, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            names.append(f"{namespace}:{pattern.name}" if namespace else pattern.name)
    return names


def test_every_url_has_an_access_rule():
    assert sorted(url_names(get_resolver().url_patterns)) == sorted(RULES)


@pytest.fixture
def world() -> dict[str, Any]:
    course = CourseFactory.create(slug="course-a")
    other = CourseFactory.create(slug="course-b")
    lesson = LessonFactory.create(course=course)
    quiz = make_quiz(course, lesson=lesson, slug="quiz-a")
    users = {
        "owner": UserFactory.create(username="owner-learner"),
        "classmate": UserFactory.create(username="classmate"),
        "outsider": UserFactory.create(username="outsider"),
        "instructor": UserFactory.create(username="teacher-a", is_staff=True),
        "other_instructor": UserFactory.create(username="teacher-b", is_staff=True),
        "superuser": UserFactory.create(username="root", is_staff=True, is_superuser=True),
    }
    group = Group.objects.get(name="Instructors")
    for role in ("instructor", "other_instructor"):
        users[role].groups.add(group)
    course.instructors.add(users["instructor"])
    other.instructors.add(users["other_instructor"])
    EnrolmentFactory.create(user=users["owner"], course=course)
    EnrolmentFactory.create(user=users["classmate"], course=course)
    EnrolmentFactory.create(user=users["outsider"], course=other)
    attempt = attempt_start(user=users["owner"], quiz=quiz)
    attempt_submit(attempt=attempt, slots=list(attempt.slots.all()), answers={})
    kwargs = {
        "none": {},
        "reset": {"uidb64": "MQ", "token": "set-password"},
        "course_slug": {"slug": course.slug},
        "course": {"course_slug": course.slug},
        "quiz": {"course_slug": course.slug, "slug": quiz.slug},
        "lesson": {"course_slug": course.slug, "slug": lesson.slug},
        "attempt": {"pk": attempt.pk},
        "export": {"course_slug": course.slug, "kind": "grades", "fmt": "csv"},
        "learner": {"course_slug": course.slug, "user_id": users["owner"].pk},
        "teacher_attempt": {"course_slug": course.slug, "pk": attempt.pk},
    }
    return {"users": users, "kwargs": kwargs}


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_the_expected_status_and_no_foreign_learner_data(client, world, role):
    if role != "anonymous":
        client.force_login(world["users"][role])
    failures = []
    for name, (key, statuses) in RULES.items():
        url = reverse(name, kwargs=world["kwargs"][key])
        response = client.get(url)
        if response.status_code != statuses[role]:
            failures.append(f"{name} {url}: {response.status_code}, expected {statuses[role]}")
        body = b"".join(response.streaming_content) if response.streaming else response.content
        sees_learners = role in ("owner", "instructor", "superuser")
        if not sees_learners and b"owner-learner" in body:
            failures.append(f"{name} {url}: shows another learner's username")
    assert not failures, "\n".join(failures)


def test_absurd_ids_are_not_found(client):
    client.force_login(UserFactory.create(is_staff=True, is_superuser=True))
    huge = "9" * 40
    assert client.get(f"/attempts/{huge}/").status_code == 404
    course = CourseFactory.create()
    assert client.get(f"/courses/{course.slug}/gradebook/learners/{huge}/").status_code == 404
