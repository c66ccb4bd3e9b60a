from __future__ import annotations

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
