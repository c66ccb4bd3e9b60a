"""Who may see what in a course: one place, so every view asks the same question."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .models import Course, Enrolment

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User


def can_teach(user: User | AnonymousUser, course: Course) -> bool:
    return Course.objects.taught_by(user).filter(pk=course.pk).exists()


def enrolment_for(user: User | AnonymousUser, course: Course) -> Enrolment | None:
    return Enrolment.objects.for_user(user).filter(course=course).first()
