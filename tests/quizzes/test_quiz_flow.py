from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from course.models import LessonProgress
from quizzes.models import Attempt, AttemptState, Choice, QuestionKind, Response
from tests.factories import (
    CourseFactory,
    LessonFactory,
    QuizFactory,
    UserFactory,
    make_question,
    make_quiz,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def quiz(student, enrol):
    lesson = LessonFactory.create()
    quiz = QuizFactory.create(course=lesson.course, lesson=lesson, pass_mark=Decimal(70))
    make_question(quiz, correct=(1,), section_anchor="first", lesson=lesson)
    make_question(quiz, kind=QuestionKind.MULTIPLE, correct=(0, 2))
    make_question(quiz, kind=QuestionKind.TRUE_FALSE, correct=(0,))
    enrol(student, quiz.course)
    return quiz


def start(client, quiz):
    response = client.post(reverse("quizzes:start", args=[quiz.course.slug, quiz.slug]))
    assert response.status_code == 302
    return Attempt.objects.latest("pk")


def right_answers(attempt):
    """Form data choosing every positive-credit choice of every question."""
    data = {}
    for slot in attempt.slots.all():
        right = [str(c["id"]) for c in slot.snapshot["choices"] if Decimal(c["credit"]) > 0]
        data[f"q{slot.question_id}"] = right
    return data


def submit(client, attempt, data, *, follow=False):
    """"Submit answers", then the summary's "Submit all and finish", as a learner does."""
    url = reverse("quizzes:submit", args=[attempt.pk])
    response = client.post(url, {"action": "finish", **data})
    if response.status_code == 302 and response.url == reverse(
        "quizzes:summary", args=[attempt.pk]
    ):
        return client.post(url, {"action": "confirm"}, follow=follow)
    if follow and response.status_code == 302:
        return client.get(response.url, follow=True)
    return response


def test_quiz_page_shows_labelled_radios_and_checkboxes_without_the_key(
    student_client, quiz, django_assert_max_num_queries
):
    attempt = start(student_client, quiz)
    with django_assert_max_num_queries(8):
        response = student_client.get(reverse("quizzes:take", args=[attempt.pk]))
    text = response.text
    assert text.count('type="radio"') == 4 + 2
    # the answers, a flag per question, and the navbar's menu toggle
    assert text.count('type="checkbox"') == 4 + 3 + 1
    assert text.count('name="flagged"') == 3
    assert text.count("<label") >= 10
    assert "<legend" in text
    assert "Select all that apply." in text
    assert "credit" not in text
    assert "Right answer" not in text
    assert "Feedback on" not in text


def test_quiz_page_query_count_does_not_grow_with_questions(
    student_client, student, enrol, django_assert_max_num_queries
):
    quiz = make_quiz(n_questions=40)
    enrol(student, quiz.course)
    attempt = start(student_client, quiz)
    with django_assert_max_num_queries(8):
        assert student_client.get(reverse("quizzes:take", args=[attempt.pk])).status_code == 200


def test_all_right_scores_100_and_passes_and_completes_the_lesson(student_client, student, quiz):
    attempt = start(student_client, quiz)
    response = submit(student_client, attempt, right_answers(attempt), follow=True)
    attempt.refresh_from_db()
    assert attempt.state == AttemptState.FINISHED
    assert attempt.percentage == 100
    assert attempt.passed
    assert "100.00% — Passed" in response.text
    assert LessonProgress.objects.get(user=student, lesson=quiz.lesson).completed_at is not None


def test_partial_answers_score_by_the_rules(student_client, quiz):
    attempt = start(student_client, quiz)
    slots = list(attempt.slots.all())
    multi = slots[1]
    first_right = next(c for c in multi.snapshot["choices"] if Decimal(c["credit"]) > 0)
    data = {f"q{multi.question_id}": [str(first_right["id"])]}
    submit(student_client, attempt, data)
    attempt.refresh_from_db()
    # 0 + 0.5 + 0 out of 3 points
    assert attempt.percentage == Decimal("16.66666667")
    assert not attempt.passed
    assert Response.objects.filter(attempt=attempt).count() == 3


def test_result_shows_right_answer_feedback_explanation_and_section_link(student_client, quiz):
    attempt = start(student_client, quiz)
    first = attempt.slots.get(position=1)
    wrong = next(c for c in first.snapshot["choices"] if Decimal(c["credit"]) <= 0)
    submit(student_client, attempt, {f"q{first.question_id}": [str(wrong["id"])]})
    response = student_client.get(reverse("quizzes:result", args=[attempt.pk]))
    text = response.text
    assert "Wrong" in text
    assert "Right answer" in text
    assert wrong["feedback"] in text
    assert "Because the fact card says so." in text
    assert f"{quiz.lesson.get_absolute_url()}#first" in text
    assert "First section" in text
    assert "You did not answer this question." in text


def test_second_submit_changes_nothing_and_says_so(student_client, quiz):
    attempt = start(student_client, quiz)
    submit(student_client, attempt, right_answers(attempt))
    attempt.refresh_from_db()
    before = (attempt.percentage, attempt.finished_at)
    response = submit(student_client, attempt, {}, follow=True)
    attempt.refresh_from_db()
    assert (attempt.percentage, attempt.finished_at) == before
    assert "already submitted" in response.text
    assert Response.objects.filter(attempt=attempt).count() == 3


def test_choice_from_another_question_is_refused_with_a_message(student_client, quiz):
    attempt = start(student_client, quiz)
    slots = list(attempt.slots.all())
    foreign = slots[1].snapshot["choices"][0]["id"]
    response = submit(student_client, attempt, {f"q{slots[0].question_id}": [str(foreign)]})
    assert response.status_code == 400
    assert "not one of the available choices" in response.text
    attempt.refresh_from_db()
    assert attempt.is_open
    assert not Response.objects.filter(attempt=attempt).exists()


def test_two_choices_for_a_single_answer_question_are_refused(student_client, quiz):
    attempt = start(student_client, quiz)
    slot = attempt.slots.get(position=1)
    ids = [str(c["id"]) for c in slot.snapshot["choices"][:2]]
    response = submit(student_client, attempt, {f"q{slot.question_id}": ids})
    assert response.status_code == 400
    attempt.refresh_from_db()
    assert attempt.is_open


def test_another_learners_attempt_is_not_found(client, quiz, student_client):
    attempt = start(student_client, quiz)
    intruder = UserFactory.create()
    client.force_login(intruder)
    for name in ("quizzes:take", "quizzes:result"):
        assert client.get(reverse(name, args=[attempt.pk])).status_code == 404
    assert submit(client, attempt, {}).status_code == 404
    attempt.refresh_from_db()
    assert attempt.is_open


def test_starting_twice_resumes_the_open_attempt(student_client, quiz):
    first = start(student_client, quiz)
    second = start(student_client, quiz)
    assert first.pk == second.pk
    assert Attempt.objects.filter(quiz=quiz).count() == 1


def test_retake_numbers_attempts_and_history_lists_them(student_client, quiz):
    first = start(student_client, quiz)
    submit(student_client, first, {})
    second = start(student_client, quiz)
    assert second.number == 2
    submit(student_client, second, right_answers(second))
    page = student_client.get(quiz.get_absolute_url()).text
    assert "0.00%" in page
    assert "100.00%" in page
    assert "Your grade" in page
    assert "passed" in page


def test_quiz_needs_enrolment(client, quiz):
    outsider = UserFactory.create()
    client.force_login(outsider)
    response = client.post(reverse("quizzes:start", args=[quiz.course.slug, quiz.slug]))
    assert response.status_code == 302
    assert not Attempt.objects.filter(user=outsider).exists()


def test_unpublished_quiz_is_not_found(student_client, quiz):
    quiz.is_published = False
    quiz.save()
    assert student_client.get(quiz.get_absolute_url()).status_code == 404


def test_editing_a_question_after_an_attempt_changes_neither_its_page_nor_its_score(
    student_client, quiz
):
    attempt = start(student_client, quiz)
    submit(student_client, attempt, right_answers(attempt))
    attempt.refresh_from_db()
    question = quiz.questions.order_by("order").first()
    question.text = "Rewritten question"
    question.save()
    Choice.objects.filter(question=question).update(is_correct=False)
    result = student_client.get(reverse("quizzes:result", args=[attempt.pk])).text
    assert "Rewritten question" not in result
    stored = attempt.percentage
    attempt.refresh_from_db()
    assert attempt.percentage == stored == 100


def test_dashboard_shows_progress_grades_and_continue_link(
    student_client, student, enrol, django_assert_max_num_queries
):
    course = CourseFactory.create()
    lessons = [LessonFactory.create(course=course, order=i) for i in range(1, 4)]
    quizzes = [make_quiz(course, lesson=lesson) for lesson in lessons]
    enrol(student, course)
    attempt = start(student_client, quizzes[0])
    submit(student_client, attempt, right_answers(attempt))
    student_client.get(lessons[1].get_absolute_url())
    with django_assert_max_num_queries(8):
        response = student_client.get(reverse("quizzes:dashboard"))
    text = response.text
    assert "1 of 3 lessons completed (33%)" in text
    assert "Continue where you left off" in text
    assert lessons[1].get_absolute_url() in text
    assert "100.00%" in text
    assert "Course grade: 33.33%" in text
    assert "Not attempted" in text


def test_quiz_detail_and_result_query_counts_are_flat(
    student_client, student, enrol, django_assert_max_num_queries
):
    quiz = make_quiz(n_questions=30, lesson=LessonFactory.create())
    enrol(student, quiz.course)
    for _ in range(3):
        attempt = start(student_client, quiz)
        submit(student_client, attempt, right_answers(attempt))
    with django_assert_max_num_queries(8):
        assert student_client.get(quiz.get_absolute_url()).status_code == 200
    with django_assert_max_num_queries(8):
        response = student_client.get(reverse("quizzes:result", args=[attempt.pk]))
    assert "100.00% — Passed" in response.text


def test_submit_query_count_does_not_grow_with_questions(
    student_client, student, enrol, django_assert_max_num_queries
):
    quiz = make_quiz(n_questions=40, lesson=LessonFactory.create())
    enrol(student, quiz.course)
    attempt = start(student_client, quiz)
    data = {**right_answers(attempt), "present": [s.question_id for s in attempt.slots.all()]}
    url = reverse("quizzes:submit", args=[attempt.pk])
    # The budget is 10 a request; inside the test's transaction, atomic() adds a savepoint pair.
    with django_assert_max_num_queries(12):
        student_client.post(url, {"action": "finish", **data})
    with django_assert_max_num_queries(12):
        student_client.get(reverse("quizzes:summary", args=[attempt.pk]))
    with django_assert_max_num_queries(12):
        student_client.post(url, {"action": "confirm"})
    attempt.refresh_from_db()
    assert attempt.percentage == 100


def test_quiz_page_of_a_locked_lesson_says_which_lesson_to_complete_and_offers_no_start(
    student_client, student, enrol, django_assert_max_num_queries
):
    course = CourseFactory.create()
    first = LessonFactory.create(course=course, order=1, title="First lesson")
    second = LessonFactory.create(course=course, order=2, requires_previous=True)
    quiz = make_quiz(course, lesson=second)
    enrol(student, course)
    with django_assert_max_num_queries(10):
        page = student_client.get(quiz.get_absolute_url()).text
    assert "Complete “First lesson” first." in page
    assert reverse("quizzes:start", args=[course.slug, quiz.slug]) not in page
    response = student_client.post(reverse("quizzes:start", args=[course.slug, quiz.slug]))
    assert response["Location"] == first.get_absolute_url()
