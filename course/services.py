"""Writes that change a learner's standing in a course."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from .models import Cohort, Completion, Course, Enrolment, Lesson, LessonProgress

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
        user=user, lesson=lesson,
        defaults={"last_viewed_at": now, "completed_at": now, "completed_by": Completion.MARKED},
    )
    if progress.completed_at is None:
        progress.completed_at = now
        progress.completed_by = Completion.MARKED
        progress.save(update_fields=["completed_at", "completed_by"])
    return progress


def lesson_complete_by_checkpoint(
    *, lesson_id: int, user_ids: Iterable[int], now: datetime | None = None
) -> None:
    """Complete the lesson for learners who passed its checkpoint quiz; the first
    completion time is kept. Written in bulk, so a regrade of many learners stays short.
    (The quiz decides whether passing it completes the lesson: the course knows nothing
    of quizzes.) Both statements are idempotent, so it needs no savepoint of its own: it
    runs inside the caller's transaction (finishing, regrading, restating pass/fail).
    """
    now = now or timezone.now()
    ids = set(user_ids)
    if not ids:
        return
    LessonProgress.objects.bulk_create(
        [LessonProgress(user_id=uid, lesson_id=lesson_id, last_viewed_at=now, completed_at=now,
                        completed_by=Completion.CHECKPOINT)
         for uid in ids],
        ignore_conflicts=True,
    )
    LessonProgress.objects.filter(
        user_id__in=ids, lesson_id=lesson_id, completed_at__isnull=True
    ).update(completed_at=now, completed_by=Completion.CHECKPOINT)
