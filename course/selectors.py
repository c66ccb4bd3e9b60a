"""Read rules of a course (HackSoft's selectors): who may see it, enrolment, the lesson
gate and progress. Every view, the dashboard and the quiz rules ask these, so a rule is
written once and cannot drift.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import Exists, OuterRef, Q, Subquery

from .models import Completion, Course, Enrolment, Lesson, LessonProgress

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User


@dataclass(frozen=True)
class CourseAccess:
    """A course as one user may see it: whether they teach it (superusers teach every
    course) and whether they are enrolled in it.
    """

    course: Course
    teaches: bool
    enrolled: bool

    @property
    def may_read_lessons(self) -> bool:
        return self.teaches or self.enrolled


def _annotated(obj: object, name: str) -> bool:
    """A boolean the query annotated onto a model instance (django-stubs cannot see it)."""
    return bool(vars(obj)[name])


def course_access(user: User | AnonymousUser, slug: str) -> CourseAccess | None:
    """The course as this user may see it, in one query; None when it does not exist, or
    is unpublished and the user does not teach it.
    """
    user_id = user.pk or 0
    teaching = Course.instructors.through.objects.filter(course_id=OuterRef("pk"), user_id=user_id)
    row = (
        Course.objects.filter(slug=slug)
        .annotate(
            teaching=Exists(teaching),
            enrolled=Exists(Enrolment.objects.filter(course_id=OuterRef("pk"), user_id=user_id)),
        )
        .first()
    )
    if row is None:
        return None
    teaches = bool(getattr(user, "is_superuser", False)) or _annotated(row, "teaching")
    if not row.is_published and not teaches:
        return None
    return CourseAccess(course=row, teaches=teaches, enrolled=_annotated(row, "enrolled"))


def enrolment_for(user: User | AnonymousUser, course: Course) -> Enrolment | None:
    return Enrolment.objects.for_user(user).filter(course=course).first()


def enrolled_course_ids(user: User | AnonymousUser, course_ids: Iterable[int]) -> set[int]:
    """Which of these courses the user is enrolled in, in one query."""
    return set(
        Enrolment.objects.for_user(user)
        .filter(course_id__in=list(course_ids))
        .values_list("course_id", flat=True)
    )


def taught_course_ids(user: User | AnonymousUser, course_ids: Iterable[int]) -> set[int]:
    """Which of these courses the user teaches (a superuser teaches all), in one query at
    most. Teaching a course exempts one from its lesson gates.
    """
    ids = set(course_ids)
    if not user.is_authenticated or not ids:
        return set()
    if user.is_superuser:
        return ids
    return set(
        Course.instructors.through.objects.filter(user_id=user.pk, course_id__in=ids)
        .values_list("course_id", flat=True)
    )


def course_of(obj: object) -> Course | None:
    """The course an object belongs to: the course itself, or its `course` (lessons,
    quizzes and the other course content); None for anything else.
    """
    if isinstance(obj, Course):
        return obj
    course = getattr(obj, "course", None)
    return course if isinstance(course, Course) else None


# The lesson gate ---------------------------------------------------------------------------

def gate(
    lesson: Lesson, previous: Lesson | None, *, previous_done: bool, exempt: bool
) -> Lesson | None:
    """The lesson gate, over loaded objects: the previous lesson the user must complete
    before `lesson`, or None when it is open. Who teaches the course is exempt.
    """
    if exempt or not lesson.requires_previous or previous is None or previous_done:
        return None
    return previous


def previous_lesson(lesson: Lesson) -> Lesson | None:
    """The published lesson before this one in course order."""
    return (
        Lesson.objects.published()
        .filter(course_id=lesson.course_id)
        .filter(Q(order__lt=lesson.order) | Q(order=lesson.order, pk__lt=lesson.pk))
        .order_by("-order", "-pk")
        .first()
    )


def completed_lesson_ids(user: User | AnonymousUser, lessons: Iterable[Lesson | int]) -> set[int]:
    ids = [lesson if isinstance(lesson, int) else lesson.pk for lesson in lessons]
    return set(
        LessonProgress.objects.filter(
            user_id=user.pk or 0, lesson_id__in=ids, completed_at__isnull=False
        ).values_list("lesson_id", flat=True)
    )


def published_lessons_done(
    user: User | AnonymousUser, course_ids: Iterable[int]
) -> tuple[list[Lesson], set[int]]:
    """The courses' published lessons in course order (by course), and which of them the
    user has completed, in one query.
    """
    done = LessonProgress.objects.filter(
        lesson=OuterRef("pk"), user_id=user.pk or 0, completed_at__isnull=False
    )
    lessons = list(
        Lesson.objects.published().filter(course_id__in=list(course_ids))
        .select_related("course").annotate(done=Exists(done))
        .order_by("course_id", "order", "pk")
    )
    return lessons, {lesson.pk for lesson in lessons if _annotated(lesson, "done")}


def locked_by(user: User | AnonymousUser, lesson: Lesson) -> Lesson | None:
    """The previous lesson the user must complete before this one, or None if it is open
    to them (instructors of the course and superusers are never gated).
    """
    if not lesson.requires_previous:
        return None
    previous = previous_lesson(lesson)
    if previous is None:
        return None
    done = bool(completed_lesson_ids(user, [previous]))
    if done:
        return None
    exempt = bool(taught_course_ids(user, [lesson.course_id]))
    return gate(lesson, previous, previous_done=done, exempt=exempt)


def locks_in_order(
    lessons: Sequence[Lesson], done: set[int], *, exempt: bool
) -> dict[int, Lesson]:
    """For lessons in course order, which are locked and by which previous lesson (by id)."""
    locks = {}
    for index, lesson in enumerate(lessons):
        previous = lessons[index - 1] if index > 0 else None
        blocker = gate(
            lesson, previous, previous_done=previous is not None and previous.pk in done,
            exempt=exempt,
        )
        if blocker is not None:
            locks[lesson.pk] = blocker
    return locks


def lesson_gate(access: CourseAccess, progress: CourseProgress, lesson: Lesson) -> Lesson | None:
    """`locked_by` over a course's loaded lessons (`course_lessons`), in no query. Only
    published lessons gate, as in locked_by.
    """
    published = [item for item in progress.lessons if item.is_published or item == lesson]
    index = published.index(lesson)
    previous = published[index - 1] if index > 0 else None
    return gate(
        lesson, previous,
        previous_done=previous is not None and progress.is_done(previous),
        exempt=access.teaches,
    )


# Progress ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class CourseProgress:
    """A learner's progress through a course's lessons (in course order)."""

    lessons: tuple[Lesson, ...]
    done: frozenset[int]
    last_viewed: Lesson | None = None
    # Completed by passing the lesson's checkpoint quiz rather than by "Mark complete".
    by_checkpoint: frozenset[int] = frozenset()

    @property
    def completed(self) -> int:
        return sum(1 for lesson in self.lessons if lesson.pk in self.done)

    @property
    def percent(self) -> int:
        return round(100 * self.completed / len(self.lessons)) if self.lessons else 0

    @property
    def next_lesson(self) -> Lesson | None:
        """The first lesson not completed yet."""
        return next((lesson for lesson in self.lessons if lesson.pk not in self.done), None)

    @property
    def resume(self) -> Lesson | None:
        """Where to continue: the lesson last opened, unless completed; else the next one."""
        if self.last_viewed is not None and self.last_viewed.pk not in self.done:
            return self.last_viewed
        return self.next_lesson

    @property
    def completed_by_checkpoint(self) -> int:
        return sum(1 for lesson in self.lessons if lesson.pk in self.by_checkpoint)

    def is_done(self, lesson: Lesson) -> bool:
        return lesson.pk in self.done

    def is_done_by_checkpoint(self, lesson: Lesson) -> bool:
        return lesson.pk in self.by_checkpoint


@dataclass(frozen=True)
class LessonRow:
    """A lesson as a course outline shows it: its position, whether it is done (and how),
    and the lesson that must be completed first while it is locked.
    """

    lesson: Lesson
    position: int
    done: bool
    by_checkpoint: bool
    locked_by: Lesson | None = None
    locked_by_position: int | None = None


def lesson_rows(access: CourseAccess, progress: CourseProgress) -> list[LessonRow]:
    """The course outline for this user, by the lesson gate, in no query. Locks are shown
    only to those who may read lessons: for anyone else the course asks to enrol first.
    """
    positions = {lesson.pk: index for index, lesson in enumerate(progress.lessons, start=1)}
    locks = (
        locks_in_order(progress.lessons, set(progress.done), exempt=access.teaches)
        if access.may_read_lessons else {}
    )
    rows = []
    for lesson in progress.lessons:
        blocker = locks.get(lesson.pk)
        rows.append(LessonRow(
            lesson=lesson, position=positions[lesson.pk], done=progress.is_done(lesson),
            by_checkpoint=progress.is_done_by_checkpoint(lesson), locked_by=blocker,
            locked_by_position=positions.get(blocker.pk) if blocker is not None else None,
        ))
    return rows


def course_lessons(
    access: CourseAccess, user: User | AnonymousUser, *, include_unpublished: bool = False
) -> CourseProgress:
    """The course's lessons in order (published ones, unless asked for all), with this
    user's completion, in one query plus one for their quizzes. Each lesson also carries
    `done`, for templates.
    """
    done = LessonProgress.objects.filter(
        lesson=OuterRef("pk"), user_id=user.pk or 0, completed_at__isnull=False
    )
    lessons = Lesson.objects.filter(course=access.course)
    if not include_unpublished:
        lessons = lessons.published()
    found = list(
        lessons.prefetch_related("quizzes")
        .annotate(done=Exists(done), completion=Subquery(done.values("completed_by")[:1]))
        .order_by("order", "pk")
    )
    for lesson in found:
        lesson.course = access.course
    return CourseProgress(
        lessons=tuple(found),
        done=frozenset(lesson.pk for lesson in found if _annotated(lesson, "done")),
        by_checkpoint=frozenset(
            lesson.pk for lesson in found
            if vars(lesson)["completion"] == Completion.CHECKPOINT
        ),
    )


def course_progress(
    user: User | AnonymousUser, courses: Sequence[Course]
) -> dict[int, CourseProgress]:
    """Each course's published lessons with the user's progress, in two queries."""
    lessons = list(
        Lesson.objects.published()
        .filter(course__in=courses)
        .select_related("course")
        .order_by("order", "pk")
    )
    records = {
        p.lesson_id: p
        for p in LessonProgress.objects.filter(user_id=user.pk or 0, lesson__in=lessons)
    }
    result = {}
    for course in courses:
        mine = tuple(lesson for lesson in lessons if lesson.course_id == course.pk)
        viewed = [
            (record.last_viewed_at, lesson)
            for lesson in mine
            if (record := records.get(lesson.pk)) is not None and record.last_viewed_at
        ]
        result[course.pk] = CourseProgress(
            lessons=mine,
            done=frozenset(
                lesson.pk for lesson in mine
                if (record := records.get(lesson.pk)) is not None and record.completed_at
            ),
            last_viewed=max(viewed, key=lambda item: item[0])[1] if viewed else None,
            by_checkpoint=frozenset(
                lesson.pk for lesson in mine
                if (record := records.get(lesson.pk)) is not None and record.completed_at
                and record.completed_by == Completion.CHECKPOINT
            ),
        )
    return result
