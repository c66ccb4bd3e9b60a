from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from tests.factories import EnrolmentFactory, UserFactory


@pytest.fixture(autouse=True)
def _fast_static(settings: Any) -> None:
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def student(db: Any) -> Any:
    return UserFactory.create(username="student-a")


@pytest.fixture
def student_client(client: Client, student: Any) -> Client:
    client.force_login(student)
    return client


@pytest.fixture
def enrol() -> Any:
    def _enrol(user: Any, course: Any, **kwargs: Any) -> Any:
        return EnrolmentFactory.create(user=user, course=course, **kwargs)

    return _enrol
