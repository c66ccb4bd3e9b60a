"""Who may see what in a course: one place, so every view asks the same question."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Exists, OuterRef, Q

from .models import Course, Enrolment, Lesson, LessonProgress

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User


def enrolment_for(user: User | AnonymousUser, course: Course) -> Enrolment | None:
    return Enrolment.objects.for_user(user).filter(course=course).first()


def locked_by(user: User | AnonymousUser, lesson: Lesson) -> Lesson | None:
    """The previous lesson the learner must complete before this one, or None if open."""
    if not lesson.requires_previous:
        return None
    previous = (
        Lesson.objects.published()
        .filter(course_id=lesson.course_id)
        .filter(Q(order__lt=lesson.order) | Q(order=lesson.order, pk__lt=lesson.pk))
        .order_by("-order", "-pk")
        .first()
    )
    if previous is None:
        return None
    done = LessonProgress.objects.filter(
        user_id=user.pk or 0, lesson=previous, completed_at__isnull=False
    ).exists()
    return None if done else previous


def course_for(user: User | AnonymousUser, slug: str) -> Course | None:
    """The course as this user may see it, in one query, annotated with `teaches` and
    `enrolled`; None when it does not exist or is unpublished and the user does not teach it.
    """
    user_id = user.pk or 0
    teaching = Course.instructors.through.objects.filter(course_id=OuterRef("pk"), user_id=user_id)
    course = (
        Course.objects.filter(slug=slug)
        .annotate(
            teaches=Exists(teaching),
            enrolled=Exists(Enrolment.objects.filter(course_id=OuterRef("pk"), user_id=user_id)),
        )
        .first()
    )
    if course is None:
        return None
    if getattr(user, "is_superuser", False):
        course.teaches = True  # type: ignore[attr-defined]
    if not course.is_published and not course.teaches:  # type: ignore[attr-defined]
        return None
    return course
