"""Regrading: recomputing finished attempts against the current answer key, audited, and
checking stored scores against a recomputation (check_grades).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone

from course.services import lesson_complete_by_checkpoint

from . import scoring, selectors
from .models import (
    Attempt,
    AttemptQuestion,
    AttemptState,
    Question,
    Quiz,
    RegradeChange,
    RegradeRun,
    Response,
)
from .services import slot_fraction

if TYPE_CHECKING:
    from django.contrib.auth.models import User


def rescore(
    attempt: Attempt, snapshot_for: Any = None
) -> tuple[Decimal, list[tuple[AttemptQuestion, dict[str, Any], list[int], Decimal]]]:
    """Score an attempt's stored responses: against each slot's pinned snapshot, or the
    snapshot `snapshot_for(slot)` returns. Uses prefetched slots and responses.
    """
    responses = {r.question_id: r for r in attempt.responses.all()}
    items = []
    detail = []
    for slot in attempt.slots.all():
        snapshot = snapshot_for(slot) if snapshot_for else slot.snapshot
        response = responses.get(slot.question_id)
        selected = list(response.selected) if response else []
        fraction = slot_fraction(snapshot, selected)
        items.append((fraction, Decimal(snapshot["points"])))
        detail.append((slot, snapshot, selected, fraction))
    return scoring.attempt_score(items).percentage, detail


# Regrading -------------------------------------------------------------------------------

@dataclass
class RegradeRow:
    attempt: Attempt
    old: Decimal
    new: Decimal
    questions: list[dict[str, str]] = field(default_factory=list)


@dataclass
class RegradeReport:
    quiz: Quiz
    checked: int
    rows: list[RegradeRow]
    stale: list[Attempt] = field(default_factory=list)
    run: RegradeRun | None = None


def _current_snapshot(snapshot: dict[str, Any], question: Question) -> dict[str, Any]:
    """The pinned snapshot with credits from the question's current answer key.

    Choices keep the order the learner saw; a choice deleted since is worth 0.
    """
    current = list(question.choices.all())
    credits = scoring.effective_credits(
        question.kind, [scoring.ChoiceSpec(c.pk, c.is_correct, c.credit) for c in current]
    )
    return {
        **snapshot,
        "kind": question.kind,
        "points": str(question.points),
        "all_or_nothing": question.all_or_nothing,
        "choices": [
            {**choice, "credit": str(credits.get(int(choice["id"]), Decimal(0)))}
            for choice in snapshot["choices"]
        ],
    }


def _slot_questions(quiz: Quiz) -> dict[int, Question]:
    """Every question the quiz's attempts showed, wherever it lives now, with its choices."""
    shown = AttemptQuestion.objects.filter(attempt__quiz=quiz).values("question_id")
    return {
        q.pk: q for q in Question.objects.filter(pk__in=shown).prefetch_related("choices")
    }


def regrade_plan(quiz: Quiz) -> RegradeReport:
    """Recompute every finished attempt of the quiz against the current key (no writes).

    `rows` are the attempts whose score or a question's credit moves; `stale` also lists
    those whose pinned key merely differs from the current one (same score), which a real
    regrade refreshes too, so review pages show the corrected key.
    """
    questions = _slot_questions(quiz)
    attempts = list(
        Attempt.objects.filter(quiz=quiz, state=AttemptState.FINISHED)
        .select_related("user").prefetch_related("slots", "responses").order_by("pk")
    )
    rows = []
    stale = []
    for attempt in attempts:
        old_fractions = {r.question_id: r.fraction for r in attempt.responses.all()}
        new, detail = rescore(
            attempt, lambda slot: _current_snapshot(slot.snapshot, questions[slot.question_id])
        )
        moved = []
        outdated = False
        for slot, snapshot, _selected, fraction in detail:
            outdated = outdated or snapshot != slot.snapshot
            old = old_fractions.get(slot.question_id) or Decimal(0)
            if fraction != old:
                moved.append({"key": snapshot["key"], "old": str(old), "new": str(fraction)})
        if moved or new != attempt.percentage:
            rows.append(RegradeRow(attempt, attempt.percentage or Decimal(0), new, moved))
        if outdated or moved or new != attempt.percentage:
            stale.append(attempt)
    return RegradeReport(quiz=quiz, checked=len(attempts), rows=rows, stale=stale)


@transaction.atomic
def attempt_regrade(
    *, quiz: Quiz, actor: User | None, actor_label: str, now: datetime | None = None
) -> RegradeReport:
    """Regrade the quiz's finished attempts against its current key, with an audit record.

    Stores new scores, pass/fail and the new credits in each attempt's snapshot (so review
    pages show the corrected key), completes the checkpoint lesson of anyone who now
    passes, and records who ran it, when, and every score that moved. Writes in bulk, so
    the transaction stays short; a second run finds nothing to change.
    """
    now = now or timezone.now()
    report = regrade_plan(quiz)
    run = RegradeRun.objects.create(
        quiz=quiz, actor=actor, actor_label=actor_label, ran_at=now,
        attempts_checked=report.checked,
    )
    questions = _slot_questions(quiz)
    slots: list[AttemptQuestion] = []
    responses: list[Response] = []
    for attempt in report.stale:
        answered = {r.question_id: r.answered_at for r in attempt.responses.all()}
        percentage, detail = rescore(
            attempt, lambda slot: _current_snapshot(slot.snapshot, questions[slot.question_id])
        )
        for slot, snapshot, selected, fraction in detail:
            slot.snapshot = snapshot
            slots.append(slot)
            responses.append(Response(
                attempt=attempt, question_id=slot.question_id, selected=selected,
                fraction=fraction, answered_at=answered.get(slot.question_id, now),
            ))
        attempt.points_possible = sum(
            (Decimal(snapshot["points"]) for _s, snapshot, _sel, _f in detail), Decimal(0)
        )
        attempt.points_earned = sum(
            (f * Decimal(snapshot["points"]) for _s, snapshot, _sel, f in detail), Decimal(0)
        )
        attempt.percentage = percentage
        attempt.passed = scoring.has_passed(percentage, quiz.pass_mark)
    AttemptQuestion.objects.bulk_update(slots, ["snapshot"], batch_size=500)
    Response.objects.bulk_create(
        responses, update_conflicts=True, unique_fields=["attempt", "question"],
        update_fields=["fraction", "selected"], batch_size=500,
    )
    Attempt.objects.bulk_update(
        report.stale, ["points_earned", "points_possible", "percentage", "passed"],
        batch_size=500,
    )
    RegradeChange.objects.bulk_create(
        [
            RegradeChange(run=run, attempt=row.attempt, old_percentage=row.old,
                          new_percentage=row.new, questions=row.questions)
            for row in report.rows
        ],
        batch_size=500,
    )
    lesson_id = selectors.lesson_completed_by(quiz)
    if lesson_id is not None:
        lesson_complete_by_checkpoint(
            lesson_id=lesson_id, user_ids=[a.user_id for a in report.stale if a.passed], now=now
        )
    report.run = run
    return report


# Integrity check ------------------------------------------------------------------------

@dataclass(frozen=True)
class GradeMismatch:
    attempt: Attempt
    stored: Decimal | None
    recomputed: Decimal
    stored_passed: bool | None = None
    recomputed_passed: bool | None = None

    @property
    def differs(self) -> tuple[str, ...]:
        """What differs: "percentage", "pass/fail", or both."""
        return tuple(
            name for name, moved in (
                ("percentage", self.stored != self.recomputed),
                ("pass/fail", self.stored_passed != self.recomputed_passed),
            ) if moved
        )


def grade_mismatches(attempts: Iterable[Attempt]) -> list[GradeMismatch]:
    """Finished attempts whose stored score or pass/fail (by the quiz's current pass mark)
    differs from a recomputation, each naming what differs.
    """
    mismatches = []
    for attempt in attempts:
        recomputed, _detail = rescore(attempt)
        passed = scoring.has_passed(recomputed, attempt.quiz.pass_mark)
        if recomputed != attempt.percentage or passed != attempt.passed:
            mismatches.append(GradeMismatch(
                attempt, attempt.percentage, recomputed,
                stored_passed=attempt.passed, recomputed_passed=passed,
            ))
    return mismatches
