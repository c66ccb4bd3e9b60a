"""Scoring rules of PRODUCT.md §2, as pure functions over plain values.

Nothing here touches the database: callers load what they need and pass it in, so the
rules can be tested exhaustively and run in zero queries. Credits are percentages
(−100..100), fractions are in [0, 1], percentages in [0, 100]; all are Decimals.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext as _

ZERO = Decimal(0)
ONE = Decimal(1)
HUNDRED = Decimal(100)

# Fractions are kept to 6 decimals, so that credits written as 33.33333 % three times
# (as GIFT files and Moodle do) add up to exactly 1.
FRACTION_QUANTUM = Decimal("0.000001")
# Percentages are stored to 8 decimals (Attempt.percentage); scoring returns exactly that,
# so a recomputation always matches what was stored.
PERCENT_QUANTUM = Decimal("0.00000001")

SINGLE = "single"
MULTIPLE = "multiple"
TRUE_FALSE = "true_false"


@dataclass(frozen=True)
class ChoiceSpec:
    """A choice as an instructor wrote it: ticked correct or not, credit optional."""

    id: int
    is_correct: bool
    credit: Decimal | None = None


def effective_credits(kind: str, choices: Sequence[ChoiceSpec]) -> dict[int, Decimal]:
    """Each choice's credit in percent, filling Moodle's defaults where none was given.

    Single answer and true/false: the correct choice 100 %, the others 0 %.
    Multiple answers: each correct choice 100 %/|C|, each wrong choice −100 %/|C|.
    """
    correct = [c for c in choices if c.is_correct]
    credits: dict[int, Decimal] = {}
    for choice in choices:
        if choice.credit is not None:
            credits[choice.id] = Decimal(choice.credit)
        elif kind == MULTIPLE:
            share = HUNDRED / len(correct) if correct else ZERO
            credits[choice.id] = share if choice.is_correct else -share
        else:
            credits[choice.id] = HUNDRED if choice.is_correct else ZERO
    return credits


def question_fraction(
    kind: str,
    credits: Mapping[int, Decimal],
    selected: Collection[int],
    *,
    all_or_nothing: bool = False,
) -> Decimal:
    """The fraction (0..1) a response earns.

    Single answer and true/false: max(0, credit of the chosen choice); nothing chosen, 0.
    Multiple answers: clamp(sum of chosen credits, 0, 1), or with all-or-nothing,
    1 exactly when the chosen set is the set of positive-credit choices.
    Callers validate `selected` (ids of this question, one id for single answer).
    """
    chosen = set(selected)
    if not chosen:
        return ZERO
    if kind == MULTIPLE:
        if all_or_nothing:
            positive = {cid for cid, credit in credits.items() if credit > 0}
            return ONE if chosen == positive else ZERO
        total = _quantize(sum((credits[cid] for cid in chosen), ZERO) / HUNDRED)
        return min(ONE, max(ZERO, total))
    if len(chosen) > 1:
        # Only after a question changed from multiple to single answer can a stored
        # response hold several choices: it answers no single-answer question, so 0.
        return ZERO
    (only,) = chosen
    return max(ZERO, _quantize(credits.get(only, ZERO) / HUNDRED))


def _quantize(fraction: Decimal) -> Decimal:
    return fraction.quantize(FRACTION_QUANTUM, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class AttemptScore:
    points_earned: Decimal
    points_possible: Decimal
    percentage: Decimal


def attempt_score(items: Iterable[tuple[Decimal, Decimal]]) -> AttemptScore:
    """Quiz percentage = 100 × Σ(fraction × points) / Σ points, from (fraction, points) pairs."""
    earned = ZERO
    possible = ZERO
    for fraction, points in items:
        earned += fraction * points
        possible += points
    percentage = (HUNDRED * earned / possible) if possible else ZERO
    return AttemptScore(earned, possible, percentage.quantize(PERCENT_QUANTUM, ROUND_HALF_UP))


def has_passed(percentage: Decimal, pass_mark: Decimal) -> bool:
    return percentage >= pass_mark


def quiz_grade(method: str, percentages: Sequence[Decimal]) -> Decimal | None:
    """One grade from a learner's finished attempts, oldest first; None when there are none."""
    if not percentages:
        return None
    if method == "average":
        return sum(percentages, ZERO) / len(percentages)
    if method == "first":
        return percentages[0]
    if method == "last":
        return percentages[-1]
    return max(percentages)


def course_grade(weighted: Iterable[tuple[Decimal, Decimal | None]]) -> Decimal | None:
    """Σ(weight × grade) / Σ weights over graded quizzes; an unattempted quiz counts 0.

    None when the course has no weighted quiz at all.
    """
    total = ZERO
    weights = ZERO
    for weight, grade in weighted:
        if weight <= 0:
            continue
        weights += weight
        total += weight * (grade if grade is not None else ZERO)
    if not weights:
        return None
    return total / weights


def display(value: Decimal | None) -> Decimal | None:
    """Round half-up to 2 decimals, as grades are shown and exported."""
    if value is None:
        return None
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def question_problems(kind: str, choices: Sequence[ChoiceSpec]) -> list[str]:
    """Why a question cannot be answered right, as messages; empty when it is sound."""
    problems: list[str] = []
    if len(choices) < 2:
        problems.append(_("needs at least two choices"))
        return problems
    credits = effective_credits(kind, choices)
    if kind == TRUE_FALSE and len(choices) != 2:
        problems.append(_("a true/false question needs exactly two choices"))
    if kind in (SINGLE, TRUE_FALSE):
        full = [cid for cid, credit in credits.items() if credit == HUNDRED]
        if len(full) != 1:
            problems.append(
                _("a single-answer question needs exactly one choice with 100%% credit "
                  "(it has %(n)d)") % {"n": len(full)}
            )
        if any(credit > HUNDRED for credit in credits.values()):
            problems.append(_("no choice may carry more than 100% credit"))
    elif kind == MULTIPLE:
        positive = sum((c for c in credits.values() if c > 0), ZERO)
        if positive < HUNDRED - Decimal("0.01"):
            problems.append(
                _("the positive credits add up to %(total)s%%, so no answer can reach 100%%")
                % {"total": display(positive)}
            )
    else:
        problems.append(_("unknown question kind %(kind)r") % {"kind": kind})
    return problems
