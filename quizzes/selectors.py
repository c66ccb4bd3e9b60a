"""Read rules of the quiz flow: one home for each question a page, an export or a command
asks about a learner (HackSoft's selectors). Views, the dashboard, the gradebook and the
commands call these and re-derive nothing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils import timezone

from course.models import Course

from . import rules, scoring
from .models import Attempt, AttemptState, Quiz, QuizOverride


@dataclass(frozen=True)
class QuizStanding:
    quiz: Quiz
    grade: Decimal | None
    attempts: int
    passed: bool
    visible: bool = True


@dataclass(frozen=True)
class CourseStanding:
    course: Course
    quizzes: tuple[QuizStanding, ...]
    course_grade: Decimal | None
    course_grade_visible: bool = True


def learner_standings(user: Any, courses: Sequence[Course]) -> dict[int, CourseStanding]:
    """A learner's quiz grades and course grade in each course, in two queries."""
    quizzes = list(
        Quiz.objects.filter(course__in=courses)
        .published()
        .select_related("course")
        .order_by("course", "order", "pk")
    )
    percentages: dict[int, list[Decimal]] = defaultdict(list)
    for quiz_id, percentage in (
        Attempt.objects.for_user(user).filter(quiz__in=quizzes, state=AttemptState.FINISHED)
        .order_by("number")
        .values_list("quiz_id", "percentage")
    ):
        if percentage is not None:
            percentages[quiz_id].append(percentage)
    overrides = {
        o.quiz_id: o for o in QuizOverride.objects.filter(user_id=user.pk or 0, quiz__in=quizzes)
    }
    now = timezone.now()
    by_course: dict[int, list[QuizStanding]] = defaultdict(list)
    for quiz in quizzes:
        marks = percentages.get(quiz.pk, [])
        grade = scoring.quiz_grade(quiz.grading_method, marks)
        allowance = rules.allowance(quiz, overrides.get(quiz.pk))
        by_course[quiz.course_id].append(
            QuizStanding(
                quiz=quiz,
                grade=grade,
                attempts=len(marks),
                passed=grade is not None and scoring.has_passed(grade, quiz.pass_mark),
                visible=rules.review(quiz, allowance, now).score,
            )
        )
    standings = {}
    for course in courses:
        items = tuple(by_course.get(course.pk, []))
        standings[course.pk] = CourseStanding(
            course=course,
            quizzes=items,
            course_grade=scoring.course_grade(
                (s.quiz.weight, s.grade) for s in items if s.quiz.weight > 0
            ),
            # A hidden quiz score must not leak through the course grade either.
            course_grade_visible=all(s.visible for s in items if s.grade is not None),
        )
    return standings
