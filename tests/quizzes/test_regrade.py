from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from quizzes import regrade, services
from quizzes.models import Attempt, RegradeChange, RegradeRun
from tests.factories import EnrolmentFactory, QuizFactory, UserFactory, make_question

pytestmark = pytest.mark.django_db


@pytest.fixture
def graded_quiz():
    quiz = QuizFactory.create(slug="checkpoint")
    first = make_question(quiz, correct=(0,), key="capital")
    make_question(quiz, correct=(0,), key="border")
    learners = []
    for name in ("amina", "bilal"):
        user = UserFactory.create(username=name)
        EnrolmentFactory.create(user=user, course=quiz.course)
        attempt = services.attempt_start(user=user, quiz=quiz)
        slots = list(attempt.slots.all())
        # amina picks choice 1 (wrong under the old key), bilal picks choice 0 (right).
        pick = 1 if name == "amina" else 0
        answers = {s.question_id: [s.snapshot["choices"][pick]["id"]] for s in slots}
        services.attempt_submit(attempt=attempt, slots=slots, answers=answers)
        learners.append(user)
    return quiz, first


def fix_key(question):
    """The instructor finds that choice 1, not 0, is right for the first question."""
    choices = list(question.choices.order_by("order"))
    choices[0].is_correct = False
    choices[0].save()
    choices[1].is_correct = True
    choices[1].save()


def scores():
    return {a.user.username: a.percentage for a in Attempt.objects.select_related("user")}


def test_editing_the_key_changes_no_stored_score(graded_quiz):
    _quiz, question = graded_quiz
    before = scores()
    fix_key(question)
    assert scores() == before == {"amina": Decimal(0), "bilal": Decimal(100)}
    out = io.StringIO()
    call_command("check_grades", stdout=out)
    assert "All 2 finished attempts match" in out.getvalue()


def test_dry_run_lists_old_and_new_scores_and_changes_nothing(graded_quiz):
    _quiz, question = graded_quiz
    fix_key(question)
    out = io.StringIO()
    call_command("regrade_quiz", "checkpoint", "--dry-run", stdout=out)
    text = out.getvalue()
    assert "amina\tattempt 1\t0.00 -> 50.00" in text
    assert "bilal\tattempt 1\t100.00 -> 50.00" in text
    assert "2 would change" in text
    assert scores() == {"amina": Decimal(0), "bilal": Decimal(100)}
    assert not RegradeRun.objects.exists()


def test_regrade_records_who_when_and_what_and_a_second_run_changes_nothing(graded_quiz):
    _quiz, question = graded_quiz
    fix_key(question)
    UserFactory.create(username="teacher")
    call_command("regrade_quiz", "checkpoint", "--actor", "teacher", stdout=io.StringIO())
    assert scores() == {"amina": Decimal(50), "bilal": Decimal(50)}
    run = RegradeRun.objects.get()
    assert run.actor_label == "teacher"
    assert run.actor is not None
    assert run.actor.username == "teacher"
    assert run.ran_at is not None
    changes = {
        c.attempt.user.username: c
        for c in RegradeChange.objects.select_related("attempt__user")
    }
    assert changes["amina"].old_percentage == 0
    assert changes["amina"].new_percentage == 50
    assert changes["amina"].questions[0]["key"] == "capital"
    out = io.StringIO()
    call_command("regrade_quiz", "checkpoint", stdout=out)
    assert "0 changed" in out.getvalue()
    assert scores() == {"amina": Decimal(50), "bilal": Decimal(50)}
    assert RegradeChange.objects.count() == 2
    call_command("check_grades", stdout=io.StringIO())


def test_check_grades_fails_on_a_tampered_score(graded_quiz):
    Attempt.objects.filter(user__username="amina").update(percentage=Decimal(99))
    err = io.StringIO()
    with pytest.raises(CommandError, match="1 of 2 finished attempts differ"):
        call_command("check_grades", stdout=io.StringIO(), stderr=err)
    assert "amina" in err.getvalue()


def test_regrade_names_an_unknown_quiz():
    with pytest.raises(CommandError, match="No quiz with slug 'nope'"):
        call_command("regrade_quiz", "nope")


def test_admin_regrade_actions(client, graded_quiz):
    from django.urls import reverse

    quiz, question = graded_quiz
    fix_key(question)
    admin = UserFactory.create(is_staff=True, is_superuser=True)
    client.force_login(admin)
    url = reverse("admin:quizzes_quiz_changelist")
    dry = client.post(url, {"action": "regrade_dry_run", "_selected_action": [quiz.pk]},
                      follow=True)
    assert "2 would change" in dry.text
    assert scores()["amina"] == 0
    real = client.post(url, {"action": "regrade", "_selected_action": [quiz.pk]}, follow=True)
    assert "2 changed" in real.text
    assert scores()["amina"] == 50
    assert RegradeRun.objects.get().actor == admin


def test_regrade_after_a_question_becomes_single_answer(graded_quiz):
    from quizzes.models import Question, QuestionKind

    quiz, _question = graded_quiz
    multi = make_question(quiz, kind=QuestionKind.MULTIPLE, correct=(0, 1), key="multi")
    user = UserFactory.create(username="carla")
    EnrolmentFactory.create(user=user, course=quiz.course)
    attempt = services.attempt_start(user=user, quiz=quiz)
    slots = list(attempt.slots.all())
    slot = next(s for s in slots if s.question_id == multi.pk)
    both = [c["id"] for c in slot.snapshot["choices"][:2]]
    services.attempt_submit(attempt=attempt, slots=slots, answers={multi.pk: both})
    Question.objects.filter(pk=multi.pk).update(kind=QuestionKind.SINGLE)
    multi.choices.filter(order=1).update(is_correct=False)
    report = regrade.regrade_plan(quiz)
    assert any(row.attempt.pk == attempt.pk for row in report.rows)
    call_command("regrade_quiz", "checkpoint", stdout=io.StringIO())
    call_command("check_grades", stdout=io.StringIO())


def test_regrade_writes_in_bulk(graded_quiz, django_assert_max_num_queries):
    quiz, question = graded_quiz
    for index in range(20):
        user = UserFactory.create(username=f"extra{index}")
        EnrolmentFactory.create(user=user, course=quiz.course)
        attempt = services.attempt_start(user=user, quiz=quiz)
        services.attempt_submit(attempt=attempt, slots=list(attempt.slots.all()), answers={})
    fix_key(question)
    with django_assert_max_num_queries(20):
        report = regrade.attempt_regrade(quiz=quiz, actor=None, actor_label="test")
    assert len(report.rows) == 2


def test_admin_attempt_page_query_count_is_flat(client, graded_quiz, django_assert_max_num_queries):
    from django.urls import reverse

    quiz, _question = graded_quiz
    for _ in range(10):
        make_question(quiz)
    user = UserFactory.create(username="many")
    EnrolmentFactory.create(user=user, course=quiz.course)
    attempt = services.attempt_start(user=user, quiz=quiz)
    services.attempt_submit(attempt=attempt, slots=list(attempt.slots.all()), answers={})
    client.force_login(UserFactory.create(is_staff=True, is_superuser=True))
    with django_assert_max_num_queries(20):
        response = client.get(reverse("admin:quizzes_attempt_change", args=[attempt.pk]))
    assert response.status_code == 200


def test_check_grades_names_a_stale_pass_fail_and_no_percentage(graded_quiz):
    Attempt.objects.filter(user__username="bilal").update(passed=False)
    err = io.StringIO()
    with pytest.raises(CommandError, match="1 of 2 finished attempts differ"):
        call_command("check_grades", stdout=io.StringIO(), stderr=err)
    report = err.getvalue()
    assert "bilal" in report
    assert "pass/fail differs: stored failed, recomputed passed at pass mark 70.00" in report
    assert "percentage differs" not in report


def test_check_grades_names_a_percentage_alone_or_both(graded_quiz):
    Attempt.objects.filter(user__username="amina").update(percentage=Decimal(60))
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("check_grades", stdout=io.StringIO(), stderr=err)
    assert "percentage differs: stored 60.00, recomputed 0.00" in err.getvalue()
    assert "pass/fail" not in err.getvalue()  # her stored "failed" is still right
    Attempt.objects.filter(user__username="amina").update(passed=True)
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("check_grades", stdout=io.StringIO(), stderr=err)
    assert "percentage differs: stored 60.00, recomputed 0.00; pass/fail differs: stored " \
        "passed, recomputed failed" in err.getvalue()
