"""Reloading the course with changed quiz settings reaches the attempts already made, as
an edit in the admin does: both go through quizzes.services.quiz_update.
"""

from __future__ import annotations

import io
import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from quizzes.models import Quiz
from tests.factories import AttemptFactory, UserFactory

pytestmark = pytest.mark.django_db

CHECKPOINT = "quizzes/01-geography-and-peoples-checkpoint.yaml"


@pytest.fixture
def course_files(tmp_path: Path) -> Path:
    """A loaded copy of the shipped course, to edit and reload."""
    root = tmp_path / "course"
    shutil.copytree(settings.COURSE_FIXTURES_DIR, root)
    call_command("load_course", str(root), stdout=io.StringIO())
    return root


def edit(root: Path, old: str, new: str) -> None:
    path = root / CHECKPOINT
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    call_command("load_course", str(root), stdout=io.StringIO())


def checkpoint() -> Quiz:
    return Quiz.objects.get(slug="geography-and-peoples-checkpoint")


def test_raising_the_pass_mark_in_the_files_restates_pass_fail_of_finished_attempts(
    course_files,
):
    attempts = [AttemptFactory.create(user=UserFactory.create(), quiz=checkpoint(), right=6)
                for _ in range(3)]  # 6 of 8: 75%
    assert all(a.passed for a in attempts)

    edit(course_files, "pass_mark: 70", "pass_mark: 80")

    for attempt in attempts:
        attempt.refresh_from_db()
        assert attempt.percentage == 75
        assert attempt.passed is False
    call_command("check_grades", stdout=io.StringIO())  # raises when any attempt differs


def test_adding_a_time_limit_in_the_files_gives_open_attempts_a_deadline(course_files):
    attempts = [
        AttemptFactory.create(user=UserFactory.create(), quiz=checkpoint(), finished=False)
        for _ in range(3)
    ]
    assert all(a.deadline is None for a in attempts)

    edit(course_files, "pass_mark: 70", "pass_mark: 70\ntime_limit_minutes: 30")

    for attempt in attempts:
        attempt.refresh_from_db()
        assert attempt.deadline == attempt.started_at + timedelta(minutes=30)


def test_reloading_unchanged_files_touches_no_attempt(course_files):
    attempt = AttemptFactory.create(user=UserFactory.create(), quiz=checkpoint(), right=6)
    before = checkpoint().updated_at

    call_command("load_course", str(course_files), stdout=io.StringIO())

    assert checkpoint().updated_at == before
    attempt.refresh_from_db()
    assert attempt.passed is True
