"""Submitting safely: "Submit answers" leads to the attempt's summary, only its confirm
finishes; flags for review; a confirmation before a timed or attempt-limited start."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from quizzes import services
from quizzes.models import Attempt, AttemptQuestion, AttemptState, Response
from tests.factories import make_quiz

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def attempt(student, enrol):
    quiz = make_quiz(n_questions=3)
    enrol(student, quiz.course)
    return services.attempt_start(user=student, quiz=quiz)


def slots_of(attempt):
    return list(attempt.slots.all())


def first_choice(slot):
    return str(slot.snapshot["choices"][0]["id"])


def post_form(client, attempt, action, answers=None, flagged=()):
    """The attempt page's form as a browser without JavaScript posts it."""
    data = {"action": action, "present": [s.question_id for s in slots_of(attempt)],
            "flagged": [str(q) for q in flagged]}
    data.update(answers or {})
    return client.post(reverse("quizzes:submit", args=[attempt.pk]), data)


def test_empty_submit_reaches_the_summary_and_finishes_nothing(student_client, attempt):
    response = post_form(student_client, attempt, "finish")
    assert response.status_code == 302
    assert response.url == reverse("quizzes:summary", args=[attempt.pk])
    attempt.refresh_from_db()
    assert attempt.state == AttemptState.OPEN


def test_summary_lists_each_question_unanswered_with_a_link_back(
    student_client, attempt, django_assert_max_num_queries
):
    with django_assert_max_num_queries(8):
        page = student_client.get(reverse("quizzes:summary", args=[attempt.pk])).text
    assert "Summary of attempt" in page
    assert page.count("Not answered") == 3
    assert "3 questions are not answered" in page
    take = reverse("quizzes:take", args=[attempt.pk])
    for slot in slots_of(attempt):
        assert f'href="{take}#q{slot.question_id}-legend"' in page
    assert f'href="{take}">Return to attempt' in page
    assert 'value="confirm"' in page
    assert "Submit all and finish" in page


def test_submit_saves_the_posted_answers_before_the_summary(student_client, attempt):
    slot = slots_of(attempt)[0]
    post_form(student_client, attempt, "finish", {f"q{slot.question_id}": first_choice(slot)})
    assert Response.objects.get(attempt=attempt, question=slot.question).selected == [
        int(first_choice(slot))
    ]
    page = student_client.get(reverse("quizzes:summary", args=[attempt.pk])).text
    assert page.count("Answer saved") == 1
    assert "2 questions are not answered" in page


def test_only_the_summary_confirm_finishes_and_a_second_changes_nothing(
    student_client, attempt
):
    url = reverse("quizzes:submit", args=[attempt.pk])
    slot = slots_of(attempt)[0]
    post_form(student_client, attempt, "finish", {f"q{slot.question_id}": first_choice(slot)})
    response = student_client.post(url, {"action": "confirm"})
    assert response.url == reverse("quizzes:result", args=[attempt.pk])
    attempt.refresh_from_db()
    assert attempt.state == AttemptState.FINISHED
    finished_at = attempt.finished_at
    again = student_client.post(url, {"action": "confirm"}, follow=True)
    assert "already submitted" in again.text
    attempt.refresh_from_db()
    assert attempt.finished_at == finished_at


def test_a_post_without_an_action_does_not_finish(student_client, attempt):
    student_client.post(reverse("quizzes:submit", args=[attempt.pk]), {})
    attempt.refresh_from_db()
    assert attempt.is_open


def test_summary_of_a_finished_attempt_goes_to_the_result(student_client, attempt):
    services.attempt_submit(attempt=attempt, slots=slots_of(attempt), answers={})
    response = student_client.get(reverse("quizzes:summary", args=[attempt.pk]))
    assert response.url == reverse("quizzes:result", args=[attempt.pk])


def test_summary_shows_time_left_and_finishes_an_overdue_attempt(student, enrol, client):
    quiz = make_quiz(time_limit_minutes=30)
    enrol(student, quiz.course)
    client.force_login(student)
    with time_machine.travel(T0, tick=False) as clock:
        attempt = services.attempt_start(user=student, quiz=quiz)
        clock.shift(timedelta(minutes=10))
        page = client.get(reverse("quizzes:summary", args=[attempt.pk])).text
        assert "Time left:" in page
        assert 'data-remaining="1200"' in page
        clock.shift(timedelta(minutes=25))
        response = client.get(reverse("quizzes:summary", args=[attempt.pk]))
    assert response.url == reverse("quizzes:result", args=[attempt.pk])
    attempt.refresh_from_db()
    assert attempt.state == AttemptState.FINISHED


# Flag for review -----------------------------------------------------------------------------

def test_flag_is_posted_with_the_form_and_shown_in_navigator_and_summary(
    student_client, attempt, django_assert_max_num_queries
):
    first, second, _third = slots_of(attempt)
    post_form(student_client, attempt, "save", flagged=[second.question_id])
    assert list(AttemptQuestion.objects.filter(attempt=attempt, flagged=True)) == [second]
    with django_assert_max_num_queries(8):
        take = student_client.get(reverse("quizzes:take", args=[attempt.pk])).text
    qid = second.question_id
    assert f'name="flagged" value="{qid}" id="flag-q{qid}" checked' in take
    assert f'value="{first.question_id}" id="flag-q{first.question_id}">' in take
    assert take.count('data-nav-question="') == 3
    summary = student_client.get(reverse("quizzes:summary", args=[attempt.pk])).text
    assert summary.count("Flagged for review") == 1


def test_a_form_post_without_the_box_unflags(student_client, attempt):
    slot = slots_of(attempt)[0]
    post_form(student_client, attempt, "save", flagged=[slot.question_id])
    post_form(student_client, attempt, "save")
    assert not AttemptQuestion.objects.filter(attempt=attempt, flagged=True).exists()


def test_autosave_sets_and_clears_the_flag_of_its_question_only(student_client, attempt):
    first, second, _third = slots_of(attempt)
    url = reverse("quizzes:save", args=[attempt.pk])
    post_form(student_client, attempt, "save", flagged=[second.question_id])
    response = student_client.post(url, {"present": first.question_id,
                                         "flagged": first.question_id},
                                   HTTP_ACCEPT="application/json")
    assert response.json()["ok"]
    assert set(AttemptQuestion.objects.filter(attempt=attempt, flagged=True)) == {first, second}
    student_client.post(url, {"present": first.question_id}, HTTP_ACCEPT="application/json")
    assert list(AttemptQuestion.objects.filter(attempt=attempt, flagged=True)) == [second]


def test_navigator_says_which_questions_are_answered(student_client, attempt):
    slot = slots_of(attempt)[0]
    post_form(student_client, attempt, "save", {f"q{slot.question_id}": first_choice(slot)})
    page = student_client.get(reverse("quizzes:take", args=[attempt.pk])).text
    nav = page[page.index('class="question-nav'):page.index('id="attempt-form"')]
    assert nav.count('data-nav-state="answered">') == 1
    assert nav.count('data-nav-state="unanswered">') == 2
    assert f'href="#q{slot.question_id}-legend"' in nav


def test_a_flag_is_not_accepted_after_the_attempt_finished(student_client, attempt):
    services.attempt_submit(attempt=attempt, slots=slots_of(attempt), answers={})
    slot = slots_of(attempt)[0]
    response = student_client.post(
        reverse("quizzes:save", args=[attempt.pk]),
        {"present": slot.question_id, "flagged": slot.question_id},
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 409
    assert not AttemptQuestion.objects.filter(attempt=attempt, flagged=True).exists()


# Confirming a timed or attempt-limited start --------------------------------------------------

def start_url(quiz):
    return reverse("quizzes:start", args=[quiz.course.slug, quiz.slug])


def confirm_url(quiz):
    return reverse("quizzes:start_confirm", args=[quiz.course.slug, quiz.slug])


@pytest.mark.parametrize("settings", [{"time_limit_minutes": 45}, {"attempts_allowed": 3}])
def test_timed_or_limited_start_asks_to_confirm_first(student_client, student, enrol, settings):
    quiz = make_quiz(**settings)
    enrol(student, quiz.course)
    response = student_client.post(start_url(quiz))
    assert response.url == confirm_url(quiz)
    assert not Attempt.objects.exists()


def test_confirm_page_states_time_limit_and_attempts_left(
    student_client, student, enrol, django_assert_max_num_queries
):
    quiz = make_quiz(time_limit_minutes=45, attempts_allowed=3)
    enrol(student, quiz.course)
    first = services.attempt_start(user=student, quiz=quiz)
    services.attempt_submit(attempt=first, slots=slots_of(first), answers={})
    with django_assert_max_num_queries(10):
        page = student_client.get(confirm_url(quiz)).text
    assert "Time limit: 45 minutes" in page
    assert "Attempts left: 2 of 3" in page
    assert 'name="confirmed"' in page
    assert f'href="{quiz.get_absolute_url()}">Cancel' in page


def test_confirmed_start_starts_the_attempt(student_client, student, enrol):
    quiz = make_quiz(time_limit_minutes=45)
    enrol(student, quiz.course)
    response = student_client.post(start_url(quiz), {"confirmed": "1"})
    attempt = Attempt.objects.get()
    assert response.url == reverse("quizzes:take", args=[attempt.pk])
    assert attempt.deadline is not None


def test_untimed_unlimited_quiz_starts_with_one_click(student_client, student, enrol):
    quiz = make_quiz()
    enrol(student, quiz.course)
    response = student_client.post(start_url(quiz))
    assert response.url == reverse("quizzes:take", args=[Attempt.objects.get().pk])


def test_an_open_timed_attempt_resumes_without_confirming(student_client, student, enrol):
    quiz = make_quiz(time_limit_minutes=45)
    enrol(student, quiz.course)
    attempt = services.attempt_start(user=student, quiz=quiz)
    take = reverse("quizzes:take", args=[attempt.pk])
    assert student_client.post(start_url(quiz)).url == take
    assert student_client.get(confirm_url(quiz)).url == take


def test_confirm_page_says_why_when_no_attempt_is_left(student_client, student, enrol):
    quiz = make_quiz(attempts_allowed=1)
    enrol(student, quiz.course)
    first = services.attempt_start(user=student, quiz=quiz)
    services.attempt_submit(attempt=first, slots=slots_of(first), answers={})
    page = student_client.get(confirm_url(quiz)).text
    assert "You have used all 1 attempts" in page
    assert 'name="confirmed"' not in page
    student_client.post(start_url(quiz), {"confirmed": "1"})
    assert Attempt.objects.count() == 1
