"""Quiz rules with a controlled clock: deadlines, dates, overrides, limits, pools, review."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.management import call_command
from django.urls import reverse

from gradebook.grades import Gradebook
from quizzes import services
from quizzes.models import Attempt, AttemptState, QuizOverride, Response
from tests.factories import (
    AttemptFactory,
    EnrolmentFactory,
    LessonFactory,
    QuizFactory,
    UserFactory,
    make_question,
    make_quiz,
)

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def right_choice(slot):
    return next(c["id"] for c in slot.snapshot["choices"] if Decimal(c["credit"]) > 0)


@pytest.fixture
def timed_quiz(student, enrol):
    quiz = make_quiz(n_questions=2, time_limit_minutes=10)
    enrol(student, quiz.course)
    return quiz


def save_url(attempt):
    return reverse("quizzes:save", args=[attempt.pk])


def test_answer_one_second_before_the_deadline_is_kept(student_client, student, timed_quiz):
    with time_machine.travel(T0, tick=False) as clock:
        attempt = services.attempt_start(user=student, quiz=timed_quiz)
        assert attempt.deadline == T0 + timedelta(minutes=10)
        slot = attempt.slots.get(position=1)
        clock.move_to(T0 + timedelta(minutes=10) - timedelta(seconds=1))
        response = student_client.post(
            save_url(attempt),
            {"present": slot.question_id, f"q{slot.question_id}": right_choice(slot)},
            HTTP_ACCEPT="application/json",
        )
        assert response.status_code == 200
        assert response.json()["ok"] is True


def test_answer_one_second_after_the_deadline_is_refused_and_the_attempt_finishes(
    student_client, student, timed_quiz
):
    with time_machine.travel(T0, tick=False) as clock:
        attempt = services.attempt_start(user=student, quiz=timed_quiz)
        first, second = attempt.slots.order_by("position")
        services.attempt_save(attempt=attempt, answers={first.question_id: [right_choice(first)]})
        clock.move_to(T0 + timedelta(minutes=10, seconds=1))
        late = student_client.post(
            save_url(attempt),
            {"present": second.question_id, f"q{second.question_id}": right_choice(second)},
            HTTP_ACCEPT="application/json",
        )
        assert late.status_code == 409
        assert "Time is up" in late.json()["message"]
        page = student_client.get(reverse("quizzes:take", args=[attempt.pk]), follow=True)
    assert "answers saved by then" in page.text
    attempt.refresh_from_db()
    assert attempt.state == AttemptState.FINISHED
    assert attempt.finished_at == T0 + timedelta(minutes=10)
    assert attempt.percentage == 50


def test_late_submit_ignores_posted_answers_but_keeps_saved_ones(student, timed_quiz):
    with time_machine.travel(T0, tick=False) as clock:
        attempt = services.attempt_start(user=student, quiz=timed_quiz)
        slots = list(attempt.slots.order_by("position"))
        first = slots[0]
        services.attempt_save(attempt=attempt, answers={first.question_id: [right_choice(first)]})
        clock.move_to(T0 + timedelta(minutes=11))
        outcome = services.attempt_submit(
            attempt=attempt, slots=slots,
            answers={s.question_id: [right_choice(s)] for s in slots},
        )
    assert outcome.late
    assert outcome.attempt.percentage == 50


def test_close_date_cuts_the_time_limit_short(student, enrol):
    quiz = make_quiz(time_limit_minutes=30, closes_at=T0 + timedelta(minutes=10))
    enrol(student, quiz.course)
    with time_machine.travel(T0, tick=False):
        attempt = services.attempt_start(user=student, quiz=quiz)
    assert attempt.deadline == T0 + timedelta(minutes=10)


def test_extra_time_override_also_moves_the_close_date(student, enrol):
    quiz = make_quiz(time_limit_minutes=30, closes_at=T0 + timedelta(minutes=10))
    enrol(student, quiz.course)
    QuizOverride.objects.create(quiz=quiz, user=student, time_limit_minutes=45)
    with time_machine.travel(T0, tick=False):
        attempt = services.attempt_start(user=student, quiz=quiz)
    # 15 extra minutes on top of what the close date allowed, not swallowed by it.
    assert attempt.deadline == T0 + timedelta(minutes=25)


def test_override_close_date_lets_a_learner_start_after_the_quiz_closed(
    student_client, student, enrol
):
    quiz = make_quiz(closes_at=T0)
    enrol(student, quiz.course)
    other = UserFactory.create()
    EnrolmentFactory.create(user=other, course=quiz.course)
    QuizOverride.objects.create(quiz=quiz, user=student, closes_at=T0 + timedelta(days=2))
    with time_machine.travel(T0 + timedelta(days=1), tick=False):
        assert services.attempt_start(user=student, quiz=quiz).deadline == T0 + timedelta(days=2)
        with pytest.raises(services.AttemptNotAllowed, match="closed"):
            services.attempt_start(user=other, quiz=quiz)


def test_quiz_not_yet_open_says_when_it_opens(student_client, student, enrol):
    quiz = make_quiz(opens_at=T0 + timedelta(days=1))
    enrol(student, quiz.course)
    with time_machine.travel(T0, tick=False):
        page = student_client.get(quiz.get_absolute_url())
        response = student_client.post(
            reverse("quizzes:start", args=[quiz.course.slug, quiz.slug]), follow=True
        )
    assert "This quiz opens on 3 March 2026" in page.text
    assert "This quiz opens on" in response.text
    assert not Attempt.objects.exists()


def test_attempt_limit_and_extra_attempts(student, enrol):
    quiz = make_quiz(attempts_allowed=1)
    enrol(student, quiz.course)
    first = services.attempt_start(user=student, quiz=quiz)
    services.attempt_submit(attempt=first, slots=list(first.slots.all()), answers={})
    with pytest.raises(services.AttemptNotAllowed, match="all 1 attempts"):
        services.attempt_start(user=student, quiz=quiz)
    QuizOverride.objects.create(quiz=quiz, user=student, extra_attempts=1)
    assert services.attempt_start(user=student, quiz=quiz).number == 2


def test_delay_between_attempts(student, enrol):
    quiz = make_quiz(attempt_delay_minutes=60)
    enrol(student, quiz.course)
    with time_machine.travel(T0, tick=False) as clock:
        first = services.attempt_start(user=student, quiz=quiz)
        services.attempt_submit(attempt=first, slots=list(first.slots.all()), answers={})
        clock.move_to(T0 + timedelta(minutes=59))
        with pytest.raises(services.AttemptNotAllowed, match="from 2 March 2026, 10:00"):
            services.attempt_start(user=student, quiz=quiz)
        clock.move_to(T0 + timedelta(minutes=60))
        assert services.attempt_start(user=student, quiz=quiz).number == 2


@pytest.mark.parametrize(
    ("method", "expected"),
    [("highest", "90.00"), ("average", "60.00"), ("first", "40.00"), ("last", "50.00")],
)
def test_grading_method_decides_the_gradebook_grade(student, method, expected):
    quiz = make_quiz(n_questions=10, grading_method=method)
    for minutes, right in enumerate([4, 9, 5]):  # 40 %, 90 %, 50 %
        AttemptFactory.create(user=student, quiz=quiz, right=right,
                              when=T0 + timedelta(minutes=minutes))
    (row,) = Gradebook(quiz.course).rows(Gradebook(quiz.course).enrolments())
    assert f"{row.grades[0]:.2f}" == expected


def test_pool_draws_the_configured_number_of_questions(student, enrol):
    quiz = make_quiz(n_questions=10, questions_per_attempt=3)
    enrol(student, quiz.course)
    attempt = services.attempt_start(user=student, quiz=quiz)
    assert attempt.slots.count() == 3


def test_shuffled_order_is_stable_on_reload_and_differs_between_learners(
    student_client, student, enrol
):
    quiz = make_quiz(n_questions=12, shuffle_questions=True, shuffle_choices=True)
    enrol(student, quiz.course)
    attempt = services.attempt_start(user=student, quiz=quiz)
    url = reverse("quizzes:take", args=[attempt.pk])
    shown = re.findall(r'name="(q\d+)" value="(\d+)"', student_client.get(url).text)
    assert len(shown) == 12 * 4
    assert re.findall(r'name="(q\d+)" value="(\d+)"', student_client.get(url).text) == shown
    other = UserFactory.create()
    EnrolmentFactory.create(user=other, course=quiz.course)
    other_attempt = services.attempt_start(user=other, quiz=quiz)
    order = [s.question_id for s in attempt.slots.all()]
    other_order = [s.question_id for s in other_attempt.slots.all()]
    assert sorted(order) == sorted(other_order)
    assert order != other_order


def test_final_exam_waits_for_the_checkpoints_and_says_which(student_client, student, enrol):
    lesson = LessonFactory.create()
    checkpoint = make_quiz(lesson.course, lesson=lesson, title="Checkpoint one")
    final = make_quiz(lesson.course, requires_checkpoints_passed=True, title="Final")
    enrol(student, lesson.course)
    page = student_client.get(final.get_absolute_url()).text
    assert "Pass these checkpoint quizzes first" in page
    assert checkpoint.get_absolute_url() in page
    AttemptFactory.create(user=student, quiz=checkpoint, right=3)
    assert services.attempt_start(user=student, quiz=final).number == 1


# Review options --------------------------------------------------------------------------------

def finished_attempt(student, quiz):
    return AttemptFactory.create(user=student, quiz=quiz, right=0)


def test_quiz_page_and_autosave_never_reveal_the_key(student_client, student, enrol):
    quiz = QuizFactory.create(review_answers="never")
    question = make_question(quiz, correct=(2,))
    question.choices.update(feedback="SECRET-FEEDBACK")
    enrol(student, quiz.course)
    attempt = services.attempt_start(user=student, quiz=quiz)
    page = student_client.get(reverse("quizzes:take", args=[attempt.pk])).text
    assert "SECRET-FEEDBACK" not in page
    assert "credit" not in page
    assert "Because the fact card" not in page
    slot = attempt.slots.get()
    saved = student_client.post(
        save_url(attempt),
        {"present": slot.question_id, f"q{slot.question_id}": right_choice(slot)},
        HTTP_ACCEPT="application/json",
    )
    assert set(saved.json()) == {"ok", "saved_at"}


def test_answers_and_feedback_hidden_until_the_quiz_closes(student_client, student, enrol):
    quiz = QuizFactory.create(review_answers="after_close", review_feedback="after_close",
                              review_score="after_close", closes_at=T0 + timedelta(days=7))
    question = make_question(quiz, correct=(1,))
    question.choices.update(feedback="SECRET-FEEDBACK")
    enrol(student, quiz.course)
    with time_machine.travel(T0, tick=False) as clock:
        attempt = finished_attempt(student, quiz)
        url = reverse("quizzes:result", args=[attempt.pk])
        hidden = student_client.get(url).text
        detail = student_client.get(quiz.get_absolute_url()).text
        clock.move_to(T0 + timedelta(days=7, seconds=1))
        shown = student_client.get(url).text
    for secret in ("Right answer", "SECRET-FEEDBACK", "Because the fact card", "0.00% —"):
        assert secret not in hidden
    assert "Your score will be shown after the quiz closes on 9 March 2026" in hidden
    assert "0.00% (" not in detail
    assert "Right answer" in shown
    assert "0.00% — Not passed" in shown


def test_review_never_keeps_the_score_hidden(student_client, student, enrol):
    quiz = make_quiz(review_score="never")
    enrol(student, quiz.course)
    attempt = finished_attempt(student, quiz)
    page = student_client.get(reverse("quizzes:result", args=[attempt.pk])).text
    assert "chosen not to show scores" in page
    assert "0.00% —" not in page


# Autosave -------------------------------------------------------------------------------------

def test_autosaved_answer_is_there_after_a_reload(student_client, student, enrol):
    quiz = make_quiz(n_questions=2)
    enrol(student, quiz.course)
    attempt = services.attempt_start(user=student, quiz=quiz)
    slot = attempt.slots.get(position=2)
    choice = slot.snapshot["choices"][1]["id"]
    student_client.post(save_url(attempt), {"present": slot.question_id,
                                           f"q{slot.question_id}": choice},
                        HTTP_ACCEPT="application/json")
    page = student_client.get(reverse("quizzes:take", args=[attempt.pk])).text
    assert f'value="{choice}" id="id_q{slot.question_id}_1" checked' in page


def test_save_button_without_script_keeps_every_answer(student_client, student, enrol):
    quiz = make_quiz(n_questions=2)
    enrol(student, quiz.course)
    attempt = services.attempt_start(user=student, quiz=quiz)
    slots = list(attempt.slots.all())
    data = {"action": "save", "present": [s.question_id for s in slots]}
    data.update({f"q{s.question_id}": right_choice(s) for s in slots})
    response = student_client.post(reverse("quizzes:submit", args=[attempt.pk]), data,
                                   follow=True)
    assert "Your answers are saved" in response.text
    attempt.refresh_from_db()
    assert attempt.is_open
    assert Response.objects.filter(attempt=attempt).count() == 2


def test_clearing_an_answer_is_saved_too(student, enrol):
    quiz = make_quiz(n_questions=1)
    enrol(student, quiz.course)
    attempt = services.attempt_start(user=student, quiz=quiz)
    slot = attempt.slots.get()
    services.attempt_save(attempt=attempt, answers={slot.question_id: [right_choice(slot)]})
    services.attempt_save(attempt=attempt, answers={slot.question_id: []})
    assert Response.objects.get(attempt=attempt).selected == []


def test_another_learner_cannot_autosave_into_an_attempt(client, student, enrol):
    quiz = make_quiz(n_questions=1)
    enrol(student, quiz.course)
    attempt = services.attempt_start(user=student, quiz=quiz)
    client.force_login(UserFactory.create())
    assert client.post(save_url(attempt), {"present": 1}).status_code == 404


def test_autosave_into_a_finished_attempt_is_refused(student_client, student, enrol):
    quiz = make_quiz(n_questions=1)
    enrol(student, quiz.course)
    attempt = finished_attempt(student, quiz)
    slot = attempt.slots.get()
    submitted = Response.objects.get(attempt=attempt).selected
    assert submitted != [right_choice(slot)]
    response = student_client.post(save_url(attempt), {"present": slot.question_id,
                                                       f"q{slot.question_id}": right_choice(slot)})
    assert response.status_code == 409
    assert Response.objects.get(attempt=attempt).selected == submitted


# Sweeper --------------------------------------------------------------------------------------

def test_sweeper_finishes_overdue_attempts_exactly_once(student, timed_quiz):
    with time_machine.travel(T0, tick=False) as clock:
        attempt = services.attempt_start(user=student, quiz=timed_quiz)
        slot = attempt.slots.get(position=1)
        services.attempt_save(attempt=attempt, answers={slot.question_id: [right_choice(slot)]})
        clock.move_to(T0 + timedelta(minutes=9))
        out = io.StringIO()
        call_command("finish_overdue_attempts", stdout=out)
        assert "Finished 0 overdue attempts." in out.getvalue()
        clock.move_to(T0 + timedelta(hours=3))
        call_command("finish_overdue_attempts", stdout=out)
        assert "Finished 1 overdue attempt." in out.getvalue()
        attempt.refresh_from_db()
        first = (attempt.finished_at, attempt.percentage)
        clock.move_to(T0 + timedelta(hours=4))
        again = io.StringIO()
        call_command("finish_overdue_attempts", stdout=again)
    assert "Finished 0 overdue attempts." in again.getvalue()
    attempt.refresh_from_db()
    assert (attempt.finished_at, attempt.percentage) == first == (
        T0 + timedelta(minutes=10), Decimal(50)
    )


def test_dashboard_hides_a_score_the_review_options_hide(student_client, student, enrol):
    quiz = make_quiz(review_score="never", title="Hidden quiz")
    enrol(student, quiz.course)
    finished_attempt(student, quiz)
    page = student_client.get(reverse("quizzes:dashboard")).text
    assert "Not shown yet" in page
    assert "Course grade: 0.00%" not in page


def test_lowering_the_pass_mark_restates_results_and_completes_the_lesson(
    course, instructor_client, student
):
    from course.models import LessonProgress

    lesson = LessonFactory.create(course=course)
    quiz = make_quiz(lesson.course, lesson=lesson, n_questions=3, pass_mark=Decimal(70))
    attempt = AttemptFactory.create(user=student, quiz=quiz, right=2)
    assert not attempt.passed
    from tests.quizzes.test_admin import quiz_form

    response = instructor_client.post(reverse("admin:quizzes_quiz_change", args=[quiz.pk]),
                           {**quiz_form(quiz, is_published="on", pass_mark="60"),
                            "lesson": lesson.pk}, follow=True)
    assert "Pass/fail restated for 1 finished attempts" in response.text
    attempt.refresh_from_db()
    assert attempt.passed
    assert LessonProgress.objects.get(user=student, lesson=lesson).completed_at is not None
    call_command("check_grades", stdout=io.StringIO())


def test_extra_time_granted_mid_attempt_moves_the_deadline(student, enrol):
    quiz = make_quiz(time_limit_minutes=10)
    enrol(student, quiz.course)
    with time_machine.travel(T0, tick=False):
        attempt = services.attempt_start(user=student, quiz=quiz)
        QuizOverride.objects.create(quiz=quiz, user=student, time_limit_minutes=25)
        assert services.attempt_deadlines_refresh(quiz=quiz, user_id=student.pk) == 1
    attempt.refresh_from_db()
    assert attempt.deadline == T0 + timedelta(minutes=25)


def test_hidden_scores_do_not_complete_the_lesson(student):
    from course.models import LessonProgress

    lesson = LessonFactory.create()
    quiz = make_quiz(lesson.course, lesson=lesson, n_questions=1, review_score="never")
    attempt = AttemptFactory.create(user=student, quiz=quiz, right=1)
    assert attempt.passed
    assert not LessonProgress.objects.filter(user=student, completed_at__isnull=False).exists()


def test_score_shown_but_answers_hidden_reveals_no_per_question_marks(student_client, student):
    quiz = make_quiz(n_questions=2, review_score="immediately", review_answers="never")
    attempt = AttemptFactory.create(user=student, quiz=quiz, right=1)
    page = student_client.get(reverse("quizzes:result", args=[attempt.pk])).text
    assert "50.00% — Not passed" in page
    assert "1.00 / 1.00" not in page
    assert "0.00 / 1.00" not in page
    assert "Right answer" not in page


# Review "after the last attempt" (pure rule, no database) ---------------------------------------

def _review_rules(attempts_allowed, closes_at=None):
    from quizzes.rules import Allowance

    return Allowance(attempts_allowed=attempts_allowed, time_limit=None, opens_at=None,
                     closes_at=closes_at)


def _after_last_quiz():
    return QuizFactory.build(review_answers="after_last", review_feedback="after_last",
                             review_score="immediately")


def test_after_last_attempt_hides_answers_while_attempts_remain():
    from quizzes.rules import review

    shown = review(_after_last_quiz(), _review_rules(3), T0, attempts_used=2)
    assert (shown.score, shown.answers, shown.feedback) == (True, False, False)


def test_after_last_attempt_shows_answers_once_the_last_is_used():
    from quizzes.rules import review

    shown = review(_after_last_quiz(), _review_rules(3), T0, attempts_used=3)
    assert shown.answers
    assert shown.feedback


def test_after_last_attempt_shows_answers_once_the_quiz_closes():
    from quizzes.rules import review

    rules = _review_rules(3, closes_at=T0)
    assert not review(_after_last_quiz(), rules, T0 - timedelta(seconds=1),
                      attempts_used=1).answers
    assert review(_after_last_quiz(), rules, T0, attempts_used=1).answers


def test_after_last_attempt_with_unlimited_attempts_waits_for_the_close():
    from quizzes.rules import review

    assert not review(_after_last_quiz(), _review_rules(None), T0, attempts_used=50).answers
    assert review(_after_last_quiz(), _review_rules(None, closes_at=T0), T0).answers


def test_an_extra_attempt_granted_delays_the_review():
    from quizzes.rules import allowance, review

    quiz = _after_last_quiz()
    quiz.attempts_allowed = 2
    extended = allowance(quiz, QuizOverride(extra_attempts=1))
    assert review(quiz, allowance(quiz, None), T0, attempts_used=2).answers
    assert not review(quiz, extended, T0, attempts_used=2).answers


def test_a_caller_that_counts_no_attempts_gets_the_stricter_answer():
    from quizzes.rules import review

    assert not review(_after_last_quiz(), _review_rules(1), T0).answers


def test_quiz_page_states_answers_come_after_the_last_attempt(
    student_client, student, enrol, django_assert_max_num_queries
):
    quiz = make_quiz(attempts_allowed=2, review_answers="after_last",
                     review_feedback="after_last")
    enrol(student, quiz.course)
    finished_attempt(student, quiz)
    with django_assert_max_num_queries(8):
        page = student_client.get(quiz.get_absolute_url()).text
    assert "Correct answers are shown after your last attempt, or once the quiz closes." in page
    assert "1 of 2 used, 1 left" in page
    assert "They are shown now." not in page
    finished_attempt(student, quiz)
    page = student_client.get(quiz.get_absolute_url()).text
    assert "2 of 2 used, 0 left" in page
    assert "They are shown now." in page


def test_the_shipped_final_exam_shows_answers_after_the_last_attempt():
    import io

    from django.conf import settings

    from quizzes.models import Quiz

    call_command("load_course", str(settings.COURSE_FIXTURES_DIR), stdout=io.StringIO())
    final = Quiz.objects.get(slug="final-exam")
    assert final.attempts_allowed == 3
    assert (final.review_answers, final.review_feedback) == ("after_last", "after_last")
