"""The write rules of the quiz flow, through the services every caller uses: starting an
attempt enforces every start rule itself, and quiz settings change only through
quiz_update, which keeps past and open attempts agreeing with the quiz.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from course.models import LessonProgress
from course.services import lesson_mark_complete
from quizzes import rules, selectors, services
from quizzes.models import Attempt
from tests.factories import (
    AttemptFactory,
    CourseFactory,
    LessonFactory,
    UserFactory,
    make_quiz,
)

pytestmark = pytest.mark.django_db


def gated_quiz():
    """A checkpoint quiz in a lesson that opens once the previous lesson is completed."""
    course = CourseFactory.create()
    first = LessonFactory.create(course=course, order=1, title="First lesson")
    second = LessonFactory.create(course=course, order=2, requires_previous=True)
    return first, make_quiz(course, lesson=second)


def test_starting_needs_enrolment_whoever_calls(student):
    quiz = make_quiz()
    with pytest.raises(services.AttemptNotAllowed, match="Enrol in the course") as refused:
        services.attempt_start(user=student, quiz=quiz)
    assert refused.value.decision.block == rules.StartBlock.NOT_ENROLLED
    assert not Attempt.objects.exists()


def test_starting_a_quiz_in_a_locked_lesson_is_refused_whoever_calls(student, enrol):
    first, quiz = gated_quiz()
    enrol(student, quiz.course)
    with pytest.raises(services.AttemptNotAllowed, match="Complete “First lesson” first"
                       ) as refused:
        services.attempt_start(user=student, quiz=quiz)
    assert refused.value.decision.locked_by == first
    assert not Attempt.objects.exists()
    lesson_mark_complete(user=student, lesson=first)
    assert services.attempt_start(user=student, quiz=quiz).is_open


def test_instructors_of_the_course_are_not_gated_but_must_enrol(enrol):
    _first, quiz = gated_quiz()
    teacher = UserFactory.create(is_staff=True)
    quiz.course.instructors.add(teacher)
    with pytest.raises(services.AttemptNotAllowed, match="Enrol in the course"):
        services.attempt_start(user=teacher, quiz=quiz)
    enrol(teacher, quiz.course)
    assert services.attempt_start(user=teacher, quiz=quiz).is_open


def test_an_open_attempt_is_resumed_even_when_no_attempt_is_left(student, enrol):
    quiz = make_quiz(attempts_allowed=1)
    opened = AttemptFactory.create(user=student, quiz=quiz, finished=False)
    assert services.attempt_start(user=student, quiz=quiz) == opened


def test_start_decisions_name_each_learners_reason_in_fixed_queries(
    enrol, django_assert_max_num_queries
):
    first, gated = gated_quiz()
    course = gated.course
    checkpoint = make_quiz(course, lesson=first)
    final = make_quiz(course, requires_checkpoints_passed=True)
    closed = make_quiz(course, closes_at=timezone.now() - timedelta(days=1))
    learner = UserFactory.create()
    enrol(learner, course)
    quizzes = [checkpoint, gated, final, closed]
    with django_assert_max_num_queries(7):
        decisions = selectors.start_decisions(learner, quizzes)
    assert {pk: decision.block for pk, decision in decisions.items()} == {
        checkpoint.pk: None,
        gated.pk: rules.StartBlock.LESSON_LOCKED,
        final.pk: rules.StartBlock.CHECKPOINTS,
        closed.pk: rules.StartBlock.CLOSED,
    }


def test_quiz_update_restates_pass_fail_and_completes_newly_passed_lessons(enrol):
    lesson = LessonFactory.create()
    quiz = make_quiz(lesson.course, lesson=lesson, n_questions=4)
    learners = UserFactory.create_batch(3)
    for learner in learners:
        AttemptFactory.create(user=learner, quiz=quiz, right=3)  # 75%, pass mark 70
    LessonProgress.objects.all().delete()

    update = services.quiz_update(quiz=quiz, pass_mark=Decimal(80))
    assert update.changed == ("pass_mark",)
    assert update.restated == 3
    assert not Attempt.objects.filter(passed=True).exists()

    services.quiz_update(quiz=quiz, pass_mark=Decimal(75))
    assert Attempt.objects.filter(passed=True).count() == 3
    assert LessonProgress.objects.filter(lesson=lesson, completed_at__isnull=False).count() == 3


def test_quiz_update_moves_open_deadlines_when_the_time_limit_or_close_date_changes():
    quiz = make_quiz()
    attempt = AttemptFactory.create(user=UserFactory.create(), quiz=quiz, finished=False)
    services.quiz_update(quiz=quiz, time_limit_minutes=20)
    attempt.refresh_from_db()
    assert attempt.deadline == attempt.started_at + timedelta(minutes=20)
    closes = attempt.started_at + timedelta(minutes=5)
    services.quiz_update(quiz=quiz, closes_at=closes)
    attempt.refresh_from_db()
    assert attempt.deadline == closes


def test_quiz_update_with_nothing_new_writes_nothing():
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    quiz = make_quiz(pass_mark=Decimal(70))
    with CaptureQueriesContext(connection) as queries:
        assert services.quiz_update(quiz=quiz, pass_mark=Decimal(70)).changed == ()
    assert not [q for q in queries.captured_queries if "SAVEPOINT" not in q["sql"]]


def test_quiz_update_refuses_what_is_not_a_setting():
    with pytest.raises(TypeError, match="Not quiz settings: colour"):
        services.quiz_update(quiz=make_quiz(), colour="red")


def test_the_sweeper_spares_an_attempt_given_more_time_after_it_was_picked():
    """The sweeper reads overdue attempts in batches; extra time granted meanwhile counts,
    because the deadline is judged on the row read under its lock, not the batch's copy."""
    quiz = make_quiz(n_questions=2, time_limit_minutes=10)
    started = timezone.now() - timedelta(minutes=30)
    attempt = AttemptFactory.create(quiz=quiz, finished=False, when=started)
    picked = Attempt.objects.get(pk=attempt.pk)  # the sweeper's copy: overdue
    Attempt.objects.filter(pk=attempt.pk).update(
        deadline=timezone.now() + timedelta(minutes=20)  # an extension lands meanwhile
    )
    result = services.attempt_finish_overdue(attempt=picked)
    assert result.is_open
    attempt.refresh_from_db()
    assert attempt.is_open
    assert services.finish_overdue_attempts() == 0
