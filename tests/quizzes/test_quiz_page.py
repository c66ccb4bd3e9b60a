"""The quiz page and the dashboard say what is locked, what opens it, how many attempts are
left, when answers are shown, and when a lesson was completed by its checkpoint."""

from __future__ import annotations

import pytest
from django.urls import reverse

from course.services import lesson_complete_by_checkpoint
from tests.factories import (
    AttemptFactory,
    CourseFactory,
    LessonFactory,
    LessonProgressFactory,
    make_quiz,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def gated(student, enrol):
    course = CourseFactory.create()
    first = LessonFactory.create(course=course, order=1, title="Geography")
    second = LessonFactory.create(course=course, order=2, title="Armed groups",
                                  requires_previous=True)
    checkpoint = make_quiz(course, lesson=second, title="Armed groups checkpoint")
    enrol(student, course)
    return course, first, second, checkpoint


def start_url(quiz):
    return reverse("quizzes:start", args=[quiz.course.slug, quiz.slug])


def test_locked_checkpoint_says_which_lesson_opens_it_and_disables_start(
    student_client, gated, django_assert_max_num_queries
):
    course, first, _second, checkpoint = gated
    # Locks are read in a fixed number of queries, however many lessons precede.
    with django_assert_max_num_queries(9):
        page = student_client.get(checkpoint.get_absolute_url()).text
    for index in range(3, 30):
        LessonFactory.create(course=course, order=index, requires_previous=True)
    with django_assert_max_num_queries(9):
        student_client.get(checkpoint.get_absolute_url())
    assert "Locked. Complete “Geography” first." in page
    assert f'href="{first.get_absolute_url()}"' in page
    assert 'disabled aria-describedby="start-blocked"' in page
    assert f'action="{start_url(checkpoint)}"' not in page


def test_checkpoint_opens_once_its_lesson_gate_is_met(student_client, student, gated):
    _course, first, _second, checkpoint = gated
    LessonProgressFactory.create(user=student, lesson=first, completed=True)
    page = student_client.get(checkpoint.get_absolute_url()).text
    assert "Locked." not in page
    assert f'action="{start_url(checkpoint)}"' in page


def test_final_exam_is_locked_until_the_checkpoints_are_passed(student_client, student, enrol):
    lesson = LessonFactory.create()
    make_quiz(lesson.course, lesson=lesson, title="Checkpoint one")
    final = make_quiz(lesson.course, requires_checkpoints_passed=True, title="Final")
    enrol(student, lesson.course)
    page = student_client.get(final.get_absolute_url()).text
    assert "Locked. Pass these checkpoint quizzes first:" in page
    assert "disabled" in page
    assert f'action="{start_url(final)}"' not in page


def test_quiz_page_shows_attempts_used_and_left(student_client, student, enrol):
    quiz = make_quiz(attempts_allowed=3)
    enrol(student, quiz.course)
    assert "0 of 3 used, 3 left" in student_client.get(quiz.get_absolute_url()).text
    AttemptFactory.create(user=student, quiz=quiz)
    assert "1 of 3 used, 2 left" in student_client.get(quiz.get_absolute_url()).text


def test_quiz_page_counts_attempts_without_a_limit(student_client, student, enrol):
    quiz = make_quiz()
    enrol(student, quiz.course)
    AttemptFactory.create(user=student, quiz=quiz)
    page = student_client.get(quiz.get_absolute_url()).text
    assert "1 used" in page
    assert "Correct answers are shown as soon as you submit an attempt." in page


def test_checkpoint_page_states_that_passing_completes_its_lesson(student_client, gated):
    _course, _first, _second, checkpoint = gated
    page = student_client.get(checkpoint.get_absolute_url()).text
    assert "Passing this checkpoint also completes the lesson “Armed groups”" in page
    assert "completed by passing its checkpoint" in page


def test_a_checkpoint_that_hides_scores_does_not_promise_completion(student_client, gated):
    course, _first, second, _checkpoint = gated
    hidden = make_quiz(course, lesson=second, review_score="never")
    assert "also completes the lesson" not in student_client.get(hidden.get_absolute_url()).text


# Dashboard -------------------------------------------------------------------------------------

def dashboard(client):
    return client.get(reverse("quizzes:dashboard")).text


def test_dashboard_does_not_claim_lessons_completed_for_a_student_who_opened_none(
    student_client, gated
):
    page = dashboard(student_client)
    assert "You have completed every lesson." not in page
    assert "0 of 2 lessons completed" in page
    assert "Start the first lesson: Geography" in page


def test_dashboard_says_lessons_were_completed_by_their_checkpoints(
    student_client, student, gated
):
    _course, first, second, _checkpoint = gated
    for lesson in (first, second):
        lesson_complete_by_checkpoint(lesson_id=lesson.pk, user_ids=[student.pk])
    page = dashboard(student_client)
    assert "You have completed every lesson." not in page
    assert "Every lesson is completed, each by passing its checkpoint." in page
    assert "2 of them completed by passing their checkpoints" in page


def test_dashboard_counts_lessons_marked_and_passed_apart(student_client, student, gated):
    _course, first, second, _checkpoint = gated
    LessonProgressFactory.create(user=student, lesson=first, completed=True)
    lesson_complete_by_checkpoint(lesson_id=second.pk, user_ids=[student.pk])
    page = dashboard(student_client)
    assert "Every lesson is completed, 1 of them by passing its checkpoint." in page


def test_dashboard_says_a_course_without_lessons_has_none(student_client, student, enrol):
    course = CourseFactory.create()
    enrol(student, course)
    page = dashboard(student_client)
    assert "This course has no lessons yet." in page
    assert "completed every lesson" not in page


def test_dashboard_shows_locked_quizzes_and_what_opens_them(student_client, student, gated):
    course, _first, _second, _checkpoint = gated
    make_quiz(course, requires_checkpoints_passed=True, title="Final", attempts_allowed=3)
    page = dashboard(student_client)
    assert "Locked: complete “Geography” to open" in page
    assert "Locked: pass the checkpoints first" in page
    assert "0 of 3" in page


def test_dashboard_query_count_is_flat_with_many_lessons_and_quizzes(
    student_client, student, enrol, django_assert_max_num_queries
):
    def build(n):
        course = CourseFactory.create()
        for index in range(1, n + 1):
            lesson = LessonFactory.create(course=course, order=index, requires_previous=True)
            make_quiz(course, lesson=lesson, n_questions=1)
            if index % 2:
                LessonProgressFactory.create(user=student, lesson=lesson, completed=True)
        make_quiz(course, requires_checkpoints_passed=True, n_questions=1)
        enrol(student, course)

    build(3)
    with django_assert_max_num_queries(20) as small:
        dashboard(student_client)
    build(20)
    build(5)
    with django_assert_max_num_queries(len(small.captured_queries)):
        page = dashboard(student_client)
    assert page.count("Locked: complete") >= 3


def test_result_page_shows_answers_once_the_last_attempt_is_used(
    client, django_assert_max_num_queries
):
    """'After the last attempt': hidden on the result of attempt 1 of 2, shown on attempt 2's
    (the quiz page and the result page ask the same selector)."""
    from tests.factories import AttemptFactory, UserFactory, make_quiz

    quiz = make_quiz(n_questions=3, attempts_allowed=2, review_answers="after_last",
                     review_feedback="after_last")
    learner = UserFactory.create()
    client.force_login(learner)
    first = AttemptFactory.create(user=learner, quiz=quiz, right=1)
    page = client.get(reverse("quizzes:result", args=[first.pk])).text
    assert "Right answer" not in page
    second = AttemptFactory.create(user=learner, quiz=quiz, right=2)
    with django_assert_max_num_queries(12):
        page = client.get(reverse("quizzes:result", args=[second.pk])).text
    assert "Right answer" in page
    assert "Right answer" in client.get(reverse("quizzes:result", args=[first.pk])).text
