"""Writes that change a learner's standing in a course."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from .models import Cohort, Course, Enrolment, Lesson, LessonProgress

if TYPE_CHECKING:
    from django.contrib.auth.models import User


@transaction.atomic
def enrolment_create(
    *, user: User, course: Course, cohort: Cohort | None = None
) -> Enrolment:
    """Enrol the learner once; enrolling again returns the existing enrolment unchanged."""
    enrolment, _created = Enrolment.objects.get_or_create(
        user=user, course=course, defaults={"cohort": cohort}
    )
    return enrolment


def lesson_record_view(*, user: User, lesson: Lesson) -> None:
    """Remember when the learner last opened the lesson, for "continue where you left off"."""
    now = timezone.now()
    LessonProgress.objects.bulk_create(
        [LessonProgress(user=user, lesson=lesson, last_viewed_at=now)],
        update_conflicts=True,
        unique_fields=["user", "lesson"],
        update_fields=["last_viewed_at"],
    )


@transaction.atomic
def lesson_mark_complete(*, user: User, lesson: Lesson) -> LessonProgress:
    """Mark the lesson completed; the first completion time is kept on later calls."""
    now = timezone.now()
    progress, _created = LessonProgress.objects.get_or_create(
        user=user, lesson=lesson, defaults={"last_viewed_at": now, "completed_at": now}
    )
    if progress.completed_at is None:
        progress.completed_at = now
        progress.save(update_fields=["completed_at"])
    return progress
