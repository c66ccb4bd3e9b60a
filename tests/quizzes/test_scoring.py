"""PRODUCT.md §2 scoring rules, rule by rule, plus properties that must always hold."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import given
from hypothesis import strategies as st

from quizzes import scoring
from quizzes.scoring import ChoiceSpec

D = Decimal


def specs(*flags: bool, credits: tuple[D | None, ...] | None = None) -> list[ChoiceSpec]:
    credits = credits or (None,) * len(flags)
    pairs = zip(flags, credits, strict=True)
    return [ChoiceSpec(i, flag, credit) for i, (flag, credit) in enumerate(pairs)]


# Default credits -----------------------------------------------------------------------

def test_single_answer_defaults_give_the_correct_choice_full_credit_and_others_none():
    credits = scoring.effective_credits("single", specs(False, True, False))
    assert credits == {0: D(0), 1: D(100), 2: D(0)}


def test_multiple_answer_defaults_split_credit_among_correct_and_penalise_wrong_choices():
    credits = scoring.effective_credits("multiple", specs(True, True, False, False))
    assert credits == {0: D(50), 1: D(50), 2: D(-50), 3: D(-50)}


def test_explicit_credit_overrides_the_default():
    credits = scoring.effective_credits(
        "multiple", specs(True, True, False, credits=(D(70), None, D(-10)))
    )
    assert credits == {0: D(70), 1: D(50), 2: D(-10)}


# Single answer and true/false ------------------------------------------------------------

@pytest.mark.parametrize(
    ("chosen", "expected"),
    [([1], D(1)), ([0], D(0)), ([], D(0))],
)
def test_single_answer_fraction_is_the_chosen_credit(chosen, expected):
    credits = {0: D(0), 1: D(100), 2: D(0)}
    assert scoring.question_fraction("single", credits, chosen) == expected


def test_single_answer_partial_credit_counts():
    credits = {0: D(50), 1: D(100)}
    assert scoring.question_fraction("single", credits, [0]) == D("0.5")


def test_single_answer_negative_credit_floors_at_zero():
    credits = {0: D(-50), 1: D(100)}
    assert scoring.question_fraction("single", credits, [0]) == D(0)


def test_true_false_scores_like_single_answer():
    credits = {0: D(100), 1: D(0)}
    assert scoring.question_fraction("true_false", credits, [0]) == 1
    assert scoring.question_fraction("true_false", credits, [1]) == 0


# Multiple answers ---------------------------------------------------------------------------

MULTI = {0: D(50), 1: D(50), 2: D(-50), 3: D(-50)}


@pytest.mark.parametrize(
    ("chosen", "expected"),
    [
        ([0, 1], D(1)),
        ([0], D("0.5")),
        ([0, 2], D(0)),
        ([0, 1, 2], D("0.5")),
        ([2, 3], D(0)),
        ([0, 1, 2, 3], D(0)),
        ([], D(0)),
    ],
)
def test_multiple_answer_fraction_is_the_clamped_sum(chosen, expected):
    assert scoring.question_fraction("multiple", MULTI, chosen) == expected


def test_multiple_answer_sum_above_one_is_clamped_to_one():
    credits = {0: D(100), 1: D(100)}
    assert scoring.question_fraction("multiple", credits, [0, 1]) == 1


def test_three_thirds_add_up_to_exactly_one():
    credits = scoring.effective_credits("multiple", specs(True, True, True, False))
    assert scoring.question_fraction("multiple", credits, [0, 1, 2]) == 1
    gift_thirds = {0: D("33.33333"), 1: D("33.33333"), 2: D("33.33333")}
    assert scoring.question_fraction("multiple", gift_thirds, [0, 1, 2]) == 1


@pytest.mark.parametrize(
    ("chosen", "expected"),
    [([0, 1], D(1)), ([0], D(0)), ([0, 1, 2], D(0)), ([], D(0))],
)
def test_all_or_nothing_needs_exactly_the_positive_set(chosen, expected):
    fraction = scoring.question_fraction("multiple", MULTI, chosen, all_or_nothing=True)
    assert fraction == expected


# Attempt, quiz and course grades --------------------------------------------------------------

def test_quiz_percentage_weights_fractions_by_points():
    score = scoring.attempt_score([(D(1), D(2)), (D("0.5"), D(1)), (D(0), D(1))])
    assert score.points_earned == D("2.5")
    assert score.points_possible == D(4)
    assert score.percentage == D("62.5")


def test_quiz_percentage_is_stored_exactly_and_displayed_half_up():
    score = scoring.attempt_score([(D(1), D(1)), (D(0), D(1)), (D(0), D(1))])
    assert score.percentage != D("33.33")
    assert scoring.display(score.percentage) == D("33.33")
    assert scoring.display(D("66.665")) == D("66.67")
    assert scoring.display(D("0.005")) == D("0.01")


def test_pass_is_at_or_above_the_pass_mark():
    assert scoring.has_passed(D(70), D(70))
    assert not scoring.has_passed(D("69.99999"), D(70))


@pytest.mark.parametrize(
    ("method", "expected"),
    [("highest", D(90)), ("average", D(60)), ("first", D(40)), ("last", D(50))],
)
def test_grading_methods_combine_attempts_oldest_first(method, expected):
    assert scoring.quiz_grade(method, [D(40), D(90), D(50)]) == expected


def test_no_finished_attempt_means_no_quiz_grade():
    assert scoring.quiz_grade("highest", []) is None


def test_course_grade_is_weighted_and_counts_unattempted_quizzes_as_zero():
    grade = scoring.course_grade([(D(1), D(80)), (D(1), None), (D(2), D(50))])
    assert grade == D(45)


def test_course_grade_ignores_zero_weight_quizzes():
    assert scoring.course_grade([(D(0), D(10)), (D(1), D(80))]) == D(80)
    assert scoring.course_grade([]) is None


# Validation ---------------------------------------------------------------------------------

def test_single_answer_question_needs_exactly_one_full_credit_choice():
    assert scoring.question_problems("single", specs(True, False)) == []
    assert scoring.question_problems("single", specs(True, True))
    assert scoring.question_problems("single", specs(False, False))


def test_multiple_answer_question_needs_reachable_full_credit():
    assert scoring.question_problems("multiple", specs(True, True, False)) == []
    assert scoring.question_problems("multiple", specs(False, False))
    short = specs(True, False, credits=(D(60), D(-50)))
    assert scoring.question_problems("multiple", short)


def test_true_false_needs_exactly_two_choices():
    assert scoring.question_problems("true_false", specs(True, False, False))


# Properties -------------------------------------------------------------------------------------

credit_values = st.decimals(min_value=-100, max_value=100, places=2, allow_nan=False)


@given(
    credits=st.lists(credit_values, min_size=1, max_size=8),
    data=st.data(),
    all_or_nothing=st.booleans(),
)
def test_multiple_answer_fraction_always_within_zero_and_one(credits, data, all_or_nothing):
    mapping = dict(enumerate(credits))
    chosen = data.draw(st.sets(st.sampled_from(sorted(mapping))))
    fraction = scoring.question_fraction(
        "multiple", mapping, chosen, all_or_nothing=all_or_nothing
    )
    assert D(0) <= fraction <= D(1)


@given(credits=st.lists(credit_values, min_size=1, max_size=8), data=st.data())
def test_single_answer_fraction_always_within_zero_and_one(credits, data):
    mapping = dict(enumerate(credits))
    chosen = data.draw(st.sampled_from(sorted(mapping)))
    assert D(0) <= scoring.question_fraction("single", mapping, [chosen]) <= D(1)


@given(flags=st.lists(st.booleans(), min_size=2, max_size=8).filter(any))
def test_choosing_exactly_the_right_set_scores_full_marks(flags):
    choices = specs(*flags)
    credits = scoring.effective_credits("multiple", choices)
    right = [c.id for c in choices if c.is_correct]
    assert scoring.question_fraction("multiple", credits, right) == 1
    assert scoring.question_fraction("multiple", credits, right, all_or_nothing=True) == 1


@given(
    items=st.lists(
        st.tuples(
            st.decimals(min_value=0, max_value=1, places=6),
            st.decimals(min_value=D("0.01"), max_value=100, places=2),
        ),
        min_size=1,
        max_size=30,
    )
)
def test_quiz_percentage_always_within_zero_and_hundred(items):
    assert D(0) <= scoring.attempt_score(items).percentage <= D(100)


@pytest.mark.django_db
def test_scoring_runs_without_queries():
    with CaptureQueriesContext(connection) as queries:
        credits = scoring.effective_credits("multiple", specs(True, True, False))
        scoring.question_fraction("multiple", credits, [0, 1])
        scoring.attempt_score([(D(1), D(1))])
        scoring.course_grade([(D(1), D(50))])
    assert len(queries) == 0


def test_several_choices_for_a_single_answer_question_score_zero():
    credits = {0: D(100), 1: D(0)}
    assert scoring.question_fraction("single", credits, [0, 1]) == 0
