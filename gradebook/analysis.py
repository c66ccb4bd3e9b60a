"""Item analysis of a quiz, as Moodle's quiz statistics report computes it.

`quiz_statistics` loads a quiz's finished attempts in a fixed number of queries (four,
whatever the number of attempts or questions); everything after that is pure functions
over plain values, so the statistics are tested on hand-computed data in zero queries.

Definitions (Moodle's, https://docs.moodle.org/dev/Quiz_statistics_calculations):

- Facility index: the mean fraction the question earned, × 100.
- Standard deviation: the sample standard deviation (n − 1) of the fraction, × 100.
- Discrimination index: 100 × the Pearson correlation between the question's mark
  (fraction × points) and the mark of the rest of the attempt (the attempt's total marks
  minus this question's), over the attempts the question appeared in; None when it is
  undefined (fewer than two attempts, or either side has no variance).

A question is grouped by its id across attempts; its text and choices are taken from the
newest snapshot, choice by choice id, so a question edited between attempts still counts
each choice once.
"""

from __future__ import annotations

import string
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from quizzes.models import Attempt, AttemptQuestion, AttemptState, Choice, Quiz, Response

ZERO = Decimal(0)
HUNDRED = Decimal(100)
# Moodle's guidance: an index below 20 % discriminates weakly, a negative one points at a
# wrong answer key or a misleading question.
WEAK_DISCRIMINATION = Decimal(20)
VERY_EASY = Decimal(90)
VERY_HARD = Decimal(10)
HISTOGRAM_BINS = 10


class Flag(models.TextChoices):
    NEGATIVE_DISCRIMINATION = "negative", _("Negative discrimination — check the answer key")
    WEAK_DISCRIMINATION = "weak", _("Weak discrimination")
    VERY_EASY = "very_easy", _("Very easy")
    VERY_HARD = "very_hard", _("Very hard")


# What the loader reads ------------------------------------------------------------------

@dataclass(frozen=True)
class SlotRow:
    """One question as one attempt showed it (an AttemptQuestion row)."""

    attempt_id: int
    question_id: int
    question_order: int
    snapshot: Mapping[str, Any]


@dataclass(frozen=True)
class ResponseRow:
    attempt_id: int
    question_id: int
    selected: tuple[int, ...]
    fraction: Decimal | None


# What the report shows ------------------------------------------------------------------

@dataclass(frozen=True)
class ChoiceStatistics:
    id: int
    label: str
    text: str
    credit: Decimal
    count: int
    share: Decimal

    @property
    def is_right(self) -> bool:
        """Earns credit when chosen (full or partial)."""
        return self.credit > 0


@dataclass(frozen=True)
class QuestionStatistics:
    question_id: int
    number: int
    key: str
    kind: str
    text: str
    attempts: int
    facility: Decimal
    standard_deviation: Decimal | None
    discrimination: Decimal | None
    flags: tuple[Flag, ...]
    choices: tuple[ChoiceStatistics, ...]
    unanswered: int


@dataclass(frozen=True)
class HistogramBin:
    lower: int
    upper: int
    count: int

    @property
    def label(self) -> str:
        return f"{self.lower}–{self.upper}"


@dataclass(frozen=True)
class QuizSummary:
    attempts: int
    mean: Decimal | None
    median: Decimal | None
    standard_deviation: Decimal | None


@dataclass(frozen=True)
class QuizStatistics:
    summary: QuizSummary
    histogram: tuple[HistogramBin, ...]
    questions: tuple[QuestionStatistics, ...]


# Loader -----------------------------------------------------------------------------------

def quiz_statistics(quiz: Quiz) -> QuizStatistics:
    """Item analysis of the quiz's finished attempts, in four queries whatever their number.

    Open attempts are left out. Rows of an attempt that finished between the queries are
    ignored, so the numbers always describe one consistent set of attempts.
    """
    finished = Attempt.objects.filter(quiz=quiz, state=AttemptState.FINISHED)
    percentages: dict[int, Decimal] = {
        pk: percentage
        for pk, percentage in finished.order_by("pk").values_list("pk", "percentage")
        if percentage is not None
    }
    slots = [
        SlotRow(attempt_id, question_id, question_order, snapshot)
        for attempt_id, question_id, question_order, snapshot in AttemptQuestion.objects.filter(
            attempt__quiz=quiz, attempt__state=AttemptState.FINISHED
        )
        .order_by("attempt_id", "position")
        .values_list("attempt_id", "question_id", "question__order", "snapshot")
        if attempt_id in percentages
    ]
    responses = [
        ResponseRow(attempt_id, question_id, tuple(int(i) for i in selected or ()), fraction)
        for attempt_id, question_id, selected, fraction in Response.objects.filter(
            attempt__quiz=quiz, attempt__state=AttemptState.FINISHED
        ).values_list("attempt_id", "question_id", "selected", "fraction")
        if attempt_id in percentages
    ]
    choice_order = dict(
        Choice.objects.filter(question__quiz=quiz).values_list("pk", "order")
    )
    return compute_statistics(list(percentages.values()), slots, responses, choice_order)


# Pure functions ---------------------------------------------------------------------------

def compute_statistics(
    percentages: Sequence[Decimal],
    slots: Sequence[SlotRow],
    responses: Sequence[ResponseRow],
    choice_order: Mapping[int, int] | None = None,
) -> QuizStatistics:
    """The whole report from loaded rows. `choice_order` (choice id → its current order)
    lists choices as the question defines them rather than in a shuffled attempt's order;
    a choice it does not know (deleted since) comes last, by id."""
    return QuizStatistics(
        summary=quiz_summary(percentages),
        histogram=histogram(percentages),
        questions=question_statistics(slots, responses, choice_order or {}),
    )


def mean(values: Sequence[Decimal]) -> Decimal | None:
    return sum(values, ZERO) / len(values) if values else None


def median(values: Sequence[Decimal]) -> Decimal | None:
    if not values:
        return None
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


def standard_deviation(values: Sequence[Decimal]) -> Decimal | None:
    """Sample standard deviation (n − 1), as Moodle reports; None under two values."""
    if len(values) < 2:
        return None
    average = sum(values, ZERO) / len(values)
    variance = sum(((v - average) ** 2 for v in values), ZERO) / (len(values) - 1)
    return variance.sqrt()


def correlation(xs: Sequence[Decimal], ys: Sequence[Decimal]) -> Decimal | None:
    """Pearson's r of paired values; None when undefined (n < 2 or a side without variance)."""
    if len(xs) != len(ys):
        raise ValueError("correlation needs paired values")
    n = len(xs)
    if n < 2:
        return None
    mean_x = sum(xs, ZERO) / n
    mean_y = sum(ys, ZERO) / n
    covariance = sum(((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)), ZERO)
    var_x = sum(((x - mean_x) ** 2 for x in xs), ZERO)
    var_y = sum(((y - mean_y) ** 2 for y in ys), ZERO)
    if var_x == 0 or var_y == 0:
        return None
    return covariance / (var_x * var_y).sqrt()


def discrimination_index(
    question_marks: Sequence[Decimal], rest_marks: Sequence[Decimal]
) -> Decimal | None:
    """100 × r(question mark, rest of the attempt's marks): Moodle's discrimination index."""
    r = correlation(question_marks, rest_marks)
    return None if r is None else HUNDRED * r


def question_flags(facility: Decimal, discrimination: Decimal | None) -> tuple[Flag, ...]:
    """What an instructor should look at, by Moodle's rules of thumb."""
    flags: list[Flag] = []
    if discrimination is not None:
        if discrimination < 0:
            flags.append(Flag.NEGATIVE_DISCRIMINATION)
        elif discrimination < WEAK_DISCRIMINATION:
            flags.append(Flag.WEAK_DISCRIMINATION)
    if facility > VERY_EASY:
        flags.append(Flag.VERY_EASY)
    elif facility < VERY_HARD:
        flags.append(Flag.VERY_HARD)
    return tuple(flags)


def histogram(percentages: Sequence[Decimal]) -> tuple[HistogramBin, ...]:
    """Attempts per 10-point band: [0, 10), [10, 20), …, [90, 100], so 100 % is in the last."""
    width = 100 // HISTOGRAM_BINS
    counts = [0] * HISTOGRAM_BINS
    for percentage in percentages:
        index = min(max(int(percentage // width), 0), HISTOGRAM_BINS - 1)
        counts[index] += 1
    return tuple(
        HistogramBin(lower=i * width, upper=(i + 1) * width, count=count)
        for i, count in enumerate(counts)
    )


def quiz_summary(percentages: Sequence[Decimal]) -> QuizSummary:
    return QuizSummary(
        attempts=len(percentages),
        mean=mean(percentages),
        median=median(percentages),
        standard_deviation=standard_deviation(percentages),
    )


def choice_label(index: int) -> str:
    """A, B, …, Z, then numbers: how the charts and tables name a choice."""
    return string.ascii_uppercase[index] if index < 26 else str(index + 1)


def question_statistics(
    slots: Sequence[SlotRow],
    responses: Sequence[ResponseRow],
    choice_order: Mapping[int, int],
) -> tuple[QuestionStatistics, ...]:
    """Per question (grouped by id), in the quiz's question order."""
    answers = {(r.attempt_id, r.question_id): r for r in responses}
    marks: dict[tuple[int, int], Decimal] = {}
    totals: dict[int, Decimal] = defaultdict(lambda: ZERO)
    by_question: dict[int, list[SlotRow]] = defaultdict(list)
    for slot in slots:
        response = answers.get((slot.attempt_id, slot.question_id))
        fraction = response.fraction if response and response.fraction is not None else ZERO
        mark = fraction * Decimal(str(slot.snapshot.get("points", "1")))
        marks[(slot.attempt_id, slot.question_id)] = mark
        totals[slot.attempt_id] += mark
        by_question[slot.question_id].append(slot)

    ordered = sorted(
        by_question.items(), key=lambda item: (item[1][-1].question_order, item[0])
    )
    result = []
    for number, (question_id, question_slots) in enumerate(ordered, start=1):
        fractions: list[Decimal] = []
        question_marks: list[Decimal] = []
        rest_marks: list[Decimal] = []
        chosen: dict[int, int] = defaultdict(int)
        unanswered = 0
        for slot in question_slots:
            response = answers.get((slot.attempt_id, question_id))
            fraction = response.fraction if response and response.fraction is not None else ZERO
            fractions.append(fraction)
            mark = marks[(slot.attempt_id, question_id)]
            question_marks.append(mark)
            rest_marks.append(totals[slot.attempt_id] - mark)
            selected = set(response.selected) if response else set()
            if not selected:
                unanswered += 1
            for choice_id in selected:
                chosen[choice_id] += 1
        attempts = len(question_slots)
        facility = HUNDRED * sum(fractions, ZERO) / attempts
        sd = standard_deviation(fractions)
        discrimination = discrimination_index(question_marks, rest_marks)
        latest = question_slots[-1].snapshot
        result.append(
            QuestionStatistics(
                question_id=question_id,
                number=number,
                key=str(latest.get("key", "")),
                kind=str(latest.get("kind", "")),
                text=str(latest.get("text", "")),
                attempts=attempts,
                facility=facility,
                standard_deviation=None if sd is None else HUNDRED * sd,
                discrimination=discrimination,
                flags=question_flags(facility, discrimination),
                choices=_choice_statistics(question_slots, chosen, attempts, choice_order),
                unanswered=unanswered,
            )
        )
    return tuple(result)


def _choice_statistics(
    question_slots: Sequence[SlotRow],
    chosen: Mapping[int, int],
    attempts: int,
    choice_order: Mapping[int, int],
) -> tuple[ChoiceStatistics, ...]:
    """Each choice any snapshot showed, with the newest snapshot's text and credit.

    The share is of the attempts the question appeared in, so on a multiple-answer
    question the shares can add up to more than 100 %.
    """
    seen: dict[int, Mapping[str, Any]] = {}
    for slot in question_slots:  # oldest attempt first, so the newest snapshot wins
        for choice in slot.snapshot.get("choices", ()):
            seen[int(choice["id"])] = choice
    ids = sorted(seen, key=lambda cid: (cid not in choice_order, choice_order.get(cid, 0), cid))
    return tuple(
        ChoiceStatistics(
            id=cid,
            label=choice_label(index),
            text=str(seen[cid].get("text", "")),
            credit=Decimal(str(seen[cid].get("credit", "0"))),
            count=chosen.get(cid, 0),
            share=HUNDRED * chosen.get(cid, 0) / attempts,
        )
        for index, cid in enumerate(ids)
    )
