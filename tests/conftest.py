from __future__ import annotations

import importlib
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.test import Client, override_settings

from tests.factories import CourseFactory, EnrolmentFactory, UserFactory


@pytest.fixture(scope="session", autouse=True)
def _collected_static(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Collect the static files once per test process into its own STATIC_ROOT.

    The test settings use production's manifest storage, so a page naming a static file
    that does not exist fails the suite as it would fail production; the storage reads
    the manifest `collectstatic` writes (about a second, once per xdist worker).
    """
    with override_settings(STATIC_ROOT=tmp_path_factory.mktemp("staticfiles")):
        call_command("collectstatic", interactive=False, verbosity=0)
        yield


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    """Put back the Instructors group once a transactional test has ended.

    A data migration creates the group; the flush that ends a transactional test empties
    every table, and under `--dist loadfile` the tests a worker runs after it (the rest of a
    file that mixes both kinds, then other files) expect the group as a fresh database has it.
    """
    result = yield
    if nextitem is None:  # the last test: the test database is gone with it
        return result
    marker = item.get_closest_marker("django_db")
    fixtures = getattr(item, "fixturenames", ())
    if (marker is None or not marker.kwargs.get("transaction")) and not (
        {"transactional_db", "live_server"} & set(fixtures)
    ):
        return result
    from django.contrib.auth.models import Permission
    from pytest_django.plugin import blocking_manager_key

    migration = importlib.import_module("quizzes.migrations.0002_instructors_group")
    # 0007 grants the quiz override and regrade permissions on top of 0002's set.
    overrides = importlib.import_module("quizzes.migrations.0007_instructor_override_permissions")
    granted = [
        (app_label, model, action)
        for app_label, models in migration.PERMISSIONS.items()
        for model, actions in models.items()
        for action in actions
    ] + [
        ("quizzes", model, action)
        for model, actions in overrides.PERMISSIONS.items()
        for action in actions
    ]
    with item.config.stash[blocking_manager_key].unblock():
        group, _created = Group.objects.get_or_create(name="Instructors")
        group.permissions.set(
            Permission.objects.get(content_type__app_label=app_label, codename=f"{action}_{model}")
            for app_label, model, action in granted
        )
    return result


@pytest.fixture
def student(db: Any) -> Any:
    return UserFactory.create(username="student-a")


@pytest.fixture
def student_client(client: Client, student: Any) -> Client:
    client.force_login(student)
    return client


@pytest.fixture
def course(db: Any) -> Any:
    """A published course, taught by `instructor`. A module may override it (a fixed slug,
    say); `instructor` then teaches that one."""
    return CourseFactory.create()


@pytest.fixture
def instructor(course: Any) -> Any:
    """An instructor as an administrator sets one up: staff, in the Instructors group (which
    holds the admin permissions), and one of `course`'s instructors. Tests that need another
    course taught too add it with `other.instructors.add(instructor)`."""
    user = UserFactory.create(username="teacher", is_staff=True)
    user.groups.add(Group.objects.get(name="Instructors"))
    course.instructors.add(user)
    return user


@pytest.fixture
def instructor_client(client: Client, instructor: Any) -> Client:
    client.force_login(instructor)
    return client


@pytest.fixture
def enrol() -> Any:
    def _enrol(user: Any, course: Any, **kwargs: Any) -> Any:
        return EnrolmentFactory.create(user=user, course=course, **kwargs)

    return _enrol
