"""Writes of the quiz flow: starting, answering, finishing and regrading attempts.

Each function keeps one invariant, stated in its docstring, and runs in one transaction.
Functions take `now` so that tests (and the sweeper) control the clock; views pass none.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from course.services import lesson_complete_by_checkpoint

from . import rules, scoring, selectors
from .models import (
    Attempt,
    AttemptQuestion,
    AttemptState,
    Question,
    QuestionKind,
    Quiz,
    QuizOverride,
    Response,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import User


class AttemptAlreadyFinished(Exception):
    """The attempt was finished before this request; nothing was changed."""


class AttemptOverdue(Exception):
    """The attempt's deadline has passed: no answer is accepted any more."""


class AttemptNotAllowed(Exception):
    """The learner may not start an attempt now; the message says why, and `decision`
    holds the whole decision (which rule refused, the lesson to complete first, ...).
    """

    def __init__(self, decision: selectors.StartDecision) -> None:
        super().__init__(decision.reason)
        self.decision = decision


def question_snapshot(question: Question, rng: random.Random | None = None) -> dict[str, Any]:
    """Freeze what a learner is shown, and the key it is scored against, for one question.

    Uses `question.choices.all()`, so prefetch choices to keep this query-free. With `rng`
    the choices are shuffled (true/false keeps its natural order).
    """
    choices = list(question.choices.all())
    credits = scoring.effective_credits(
        question.kind,
        [scoring.ChoiceSpec(c.pk, c.is_correct, c.credit) for c in choices],
    )
    if rng is not None and question.kind != QuestionKind.TRUE_FALSE:
        rng.shuffle(choices)
    return {
        "key": question.key,
        "kind": question.kind,
        "text": question.text,
        "points": str(question.points),
        "explanation": question.explanation,
        "all_or_nothing": question.all_or_nothing,
        "lesson_id": question.lesson_id,
        "section_anchor": question.section_anchor,
        "choices": [
            {"id": c.pk, "text": c.text, "credit": str(credits[c.pk]), "feedback": c.feedback}
            for c in choices
        ],
    }


def slot_fraction(snapshot: Mapping[str, Any], selected: Sequence[int]) -> Decimal:
    credits = {int(c["id"]): Decimal(c["credit"]) for c in snapshot["choices"]}
    return scoring.question_fraction(
        snapshot["kind"], credits, selected, all_or_nothing=bool(snapshot["all_or_nothing"])
    )


def _pick_questions(quiz: Quiz, rng: random.Random) -> list[Question]:
    questions = list(
        quiz.questions.filter(is_active=True).order_by("order", "pk").prefetch_related("choices")
    )
    if quiz.questions_per_attempt and quiz.questions_per_attempt < len(questions):
        chosen = set(q.pk for q in rng.sample(questions, quiz.questions_per_attempt))
        questions = [q for q in questions if q.pk in chosen]
    if quiz.shuffle_questions:
        rng.shuffle(questions)
    return questions


def _lock_learner(user: User) -> None:
    """Row-lock the learner for the rest of the transaction (PostgreSQL; SQLite's
    IMMEDIATE transactions already serialise writers)."""
    get_user_model()._default_manager.select_for_update().filter(pk=user.pk).values_list(
        "pk"
    ).first()


def _lock_attempt(attempt: Attempt) -> tuple[str, datetime | None] | None:
    """Row-lock the attempt and return its current (state, deadline), or None if gone.

    Callers take their clock reading after this, so a request that waited for the lock
    is judged by when it ran, not by when it arrived behind another.
    """
    return (
        Attempt.objects.select_for_update()
        .filter(pk=attempt.pk)
        .values_list("state", "deadline")
        .first()
    )


@transaction.atomic
def attempt_start(*, user: User, quiz: Quiz, now: datetime | None = None) -> Attempt:
    """Start an attempt, or return the learner's open one: never two open at once.

    Enforces every start rule itself (`selectors.start_decision`): refuses with
    AttemptNotAllowed, carrying the decision, a learner not enrolled in the course, one
    whose lesson gate is closed, and, for a new attempt, outside the quiz's dates, past
    the attempt limit, before required checkpoints are passed or before the delay
    between attempts has passed. The attempt pins its questions, their order, each
    question's text, choices, choice order and credits as they are now, and a deadline
    (the earlier of start + time limit and the close date, after the learner's override).
    """
    # One start at a time per learner: the open-attempt check, the attempt count and the
    # insert below then see each other's commits. Without it, under PostgreSQL's read
    # committed, a start that lost the race for the open slot could count the winner's
    # new attempt as used and refuse ("you have used all N attempts") instead of resuming.
    _lock_learner(user)
    now = now or timezone.now()
    decision = selectors.start_decision(user, quiz, now=now)
    if decision.refusal is not None:
        raise AttemptNotAllowed(decision)
    if decision.open_attempt is not None:
        return decision.open_attempt
    allowance = decision.allowance
    number = (
        Attempt.objects.filter(user=user, quiz=quiz).aggregate(n=Max("number"))["n"] or 0
    ) + 1
    seed = random.SystemRandom().randrange(2**62)
    rng = random.Random(seed)
    questions = _pick_questions(quiz, rng)
    try:
        with transaction.atomic():
            attempt = Attempt.objects.create(
                user=user, quiz=quiz, number=number, started_at=now, seed=seed,
                deadline=rules.deadline(now, allowance),
            )
    except IntegrityError:
        # Another request (a second tab, a double click) started one first: resume it.
        return Attempt.objects.get(user=user, quiz=quiz, state=AttemptState.OPEN)
    choice_rng = rng if quiz.shuffle_choices else None
    AttemptQuestion.objects.bulk_create(
        AttemptQuestion(
            attempt=attempt, question=question, position=position,
            snapshot=question_snapshot(question, choice_rng),
        )
        for position, question in enumerate(questions, start=1)
    )
    return attempt


@transaction.atomic
def attempt_save(
    *,
    attempt: Attempt,
    answers: Mapping[int, Sequence[int]],
    flags: Mapping[int, bool] | None = None,
    now: datetime | None = None,
) -> datetime:
    """Store answers (question id → chosen choice ids) of an open attempt, before its deadline,
    and the learner's "flag for review" marks (question id → flagged) of the questions named.

    An empty list clears the answer. Answers or flags arriving after the deadline or after
    the attempt finished are refused with AttemptOverdue / AttemptAlreadyFinished and change
    nothing. Locks the attempt row, so a save never interleaves with a finish.
    """
    locked = _lock_attempt(attempt)
    now = now or timezone.now()
    if locked is None or locked[0] != AttemptState.OPEN:
        raise AttemptAlreadyFinished
    if locked[1] is not None and now >= locked[1]:
        raise AttemptOverdue
    if answers:
        Response.objects.bulk_create(
            [
                Response(attempt=attempt, question_id=qid, selected=sorted(selected),
                         answered_at=now)
                for qid, selected in answers.items()
            ],
            update_conflicts=True,
            unique_fields=["attempt", "question"],
            update_fields=["selected", "answered_at"],
        )
    for flagged in (True, False):
        ids = [qid for qid, value in (flags or {}).items() if value is flagged]
        if ids:
            AttemptQuestion.objects.filter(attempt=attempt, question_id__in=ids).exclude(
                flagged=flagged
            ).update(flagged=flagged)
    return now


@dataclass(frozen=True)
class Outcome:
    attempt: Attempt
    late: bool = False


def _finish(
    attempt: Attempt,
    slots: Sequence[AttemptQuestion],
    now: datetime,
    answers: Mapping[int, Sequence[int]] | None = None,
) -> Attempt:
    """Score the saved responses (with `answers` replacing theirs) and finish, exactly once.

    Callers lock the attempt row first (`_lock_attempt`), so no autosave interleaves;
    finishing itself is a compare-and-set on the state, so a second finish raises
    AttemptAlreadyFinished and writes nothing.
    """
    saved = {r.question_id: list(r.selected) for r in attempt.responses.all()}
    saved.update({qid: list(selected) for qid, selected in (answers or {}).items()})
    responses = []
    items = []
    for slot in slots:
        selected = sorted(saved.get(slot.question_id, []))
        fraction = slot_fraction(slot.snapshot, selected)
        items.append((fraction, Decimal(slot.snapshot["points"])))
        responses.append(
            Response(attempt=attempt, question_id=slot.question_id, selected=selected,
                     fraction=fraction, answered_at=min(now, attempt.deadline or now))
        )
    score = scoring.attempt_score(items)
    quiz = attempt.quiz
    passed = scoring.has_passed(score.percentage, quiz.pass_mark)
    finished_at = min(now, attempt.deadline) if attempt.deadline else now
    changed = Attempt.objects.filter(pk=attempt.pk, state=AttemptState.OPEN).update(
        state=AttemptState.FINISHED, finished_at=finished_at,
        points_earned=score.points_earned, points_possible=score.points_possible,
        percentage=score.percentage, passed=passed,
    )
    if not changed:
        raise AttemptAlreadyFinished
    Response.objects.bulk_create(
        responses,
        update_conflicts=True,
        unique_fields=["attempt", "question"],
        update_fields=["selected", "fraction"],
    )
    lesson_id = selectors.lesson_completed_by(quiz)
    if passed and lesson_id is not None:
        lesson_complete_by_checkpoint(lesson_id=lesson_id, user_ids=[attempt.user_id], now=now)
    attempt.state = AttemptState.FINISHED
    attempt.finished_at = finished_at
    attempt.points_earned = score.points_earned
    attempt.points_possible = score.points_possible
    attempt.percentage = score.percentage
    attempt.passed = passed
    return attempt


@transaction.atomic
def attempt_submit(
    *,
    attempt: Attempt,
    slots: Sequence[AttemptQuestion],
    answers: Mapping[int, Sequence[int]],
    now: datetime | None = None,
) -> Outcome:
    """Store the final answers, score the attempt and finish it, exactly once.

    `answers` replaces the saved answer of each question it names. Past the deadline
    the posted answers are ignored and the attempt is finished with the answers saved by
    then (`late=True`). When another request finished it first, this raises
    AttemptAlreadyFinished and changes nothing. Passing a checkpoint completes its lesson.
    """
    locked = _lock_attempt(attempt)
    if locked is not None:
        attempt.deadline = locked[1]  # an override granted meanwhile counts
    now = now or timezone.now()
    late = rules.is_overdue(attempt, now)
    return Outcome(_finish(attempt, slots, now, None if late else answers), late=late)


@transaction.atomic
def attempt_finish_overdue(*, attempt: Attempt, now: datetime | None = None) -> Attempt:
    """Finish an attempt whose deadline has passed, with the answers saved by then.

    Judged on the deadline read under the row lock, not the caller's copy: extra time
    granted after the caller picked the attempt (the sweeper reads hundreds at once)
    counts, and the attempt is returned still open.
    """
    locked = _lock_attempt(attempt)
    if locked is None or locked[0] != AttemptState.OPEN:
        raise AttemptAlreadyFinished
    attempt.deadline = locked[1]
    now = now or timezone.now()
    if not rules.is_overdue(attempt, now):
        return attempt
    return _finish(attempt, list(attempt.slots.all()), now)


def finish_overdue_attempts(*, now: datetime | None = None) -> int:
    """Finish every open attempt past its deadline; returns how many this call finished.

    Each attempt is finished in its own transaction by compare-and-set, so concurrent
    sweepers or a learner submitting at the same moment never finish one twice.
    """
    now = now or timezone.now()
    finished = 0
    overdue = Attempt.objects.filter(state=AttemptState.OPEN, deadline__lte=now)
    for attempt in overdue.select_related("quiz").iterator(chunk_size=200):
        try:
            result = attempt_finish_overdue(attempt=attempt, now=now)
        except AttemptAlreadyFinished:
            continue
        finished += not result.is_open
    return finished


@transaction.atomic
def attempt_deadlines_refresh(*, quiz: Quiz, user_id: int | None = None) -> int:
    """Recompute the deadline of open attempts after the quiz's time limit or close date,
    or a learner's override, changed: extra time granted mid-attempt counts at once, and a
    close date moved earlier ends open attempts at it. Returns how many moved.
    """
    attempts = Attempt.objects.filter(quiz=quiz, state=AttemptState.OPEN)
    if user_id is not None:
        attempts = attempts.filter(user_id=user_id)
    overrides = {o.user_id: o for o in QuizOverride.objects.filter(quiz=quiz)}
    moved = []
    for attempt in attempts:
        allowance = rules.allowance(quiz, overrides.get(attempt.user_id))
        deadline = rules.deadline(attempt.started_at, allowance)
        if deadline != attempt.deadline:
            attempt.deadline = deadline
            moved.append(attempt)
    Attempt.objects.bulk_update(moved, ["deadline"], batch_size=500)
    return len(moved)


@transaction.atomic
def quiz_pass_mark_apply(*, quiz: Quiz, now: datetime | None = None) -> int:
    """After the pass mark changed, restate pass/fail of every finished attempt by it, and
    complete the checkpoint lesson of anyone who now passes. Returns how many changed.
    """
    now = now or timezone.now()
    finished = Attempt.objects.filter(quiz=quiz, state=AttemptState.FINISHED)
    changed = finished.filter(percentage__gte=quiz.pass_mark).exclude(passed=True).update(
        passed=True
    )
    changed += finished.filter(percentage__lt=quiz.pass_mark).exclude(passed=False).update(
        passed=False
    )
    lesson_id = selectors.lesson_completed_by(quiz)
    if lesson_id is not None:
        passers = list(
            finished.filter(passed=True).values_list("user_id", flat=True).distinct()
        )
        lesson_complete_by_checkpoint(lesson_id=lesson_id, user_ids=passers, now=now)
    return changed


#: Settings whose change moves the deadline of attempts already open.
DEADLINE_SETTINGS = frozenset({"time_limit_minutes", "opens_at", "closes_at"})


@dataclass(frozen=True)
class QuizUpdate:
    changed: tuple[str, ...]
    restated: int = 0
    deadlines_moved: int = 0


@transaction.atomic
def quiz_update(*, quiz: Quiz, **changes: Any) -> QuizUpdate:
    """Change a quiz's settings: the only way they change once the quiz exists (the admin,
    the course loader and commands all come here).

    Saves the fields that differ, then keeps past and open attempts agreeing with the
    quiz: a new pass mark restates pass/fail of every finished attempt (and completes the
    checkpoint lesson of anyone who now passes); a new time limit, open or close date
    recomputes the deadline of every open attempt.
    """
    unknown = set(changes) - {f.name for f in Quiz._meta.concrete_fields}
    if unknown:
        raise TypeError(f"Not quiz settings: {', '.join(sorted(unknown))}")
    changed = tuple(name for name, value in changes.items() if getattr(quiz, name) != value)
    if not changed:
        return QuizUpdate(changed=())
    for name in changed:
        setattr(quiz, name, changes[name])
    quiz.save(update_fields=[*changed, "updated_at"])
    restated = quiz_pass_mark_apply(quiz=quiz) if "pass_mark" in changed else 0
    moved = attempt_deadlines_refresh(quiz=quiz) if DEADLINE_SETTINGS & set(changed) else 0
    return QuizUpdate(changed=changed, restated=restated, deadlines_moved=moved)
