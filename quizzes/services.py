"""Writes of the quiz flow: starting, answering and finishing attempts.

Each function keeps one invariant, stated in its docstring, and runs in one transaction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from course.models import LessonProgress

from . import scoring
from .models import Attempt, AttemptQuestion, AttemptState, Question, Quiz, Response

if TYPE_CHECKING:
    from django.contrib.auth.models import User


class AttemptAlreadyFinished(Exception):
    """The attempt was finished before this request; nothing was changed."""


def question_snapshot(question: Question) -> dict[str, Any]:
    """Freeze what a learner is shown, and the key it is scored against, for one question.

    Uses `question.choices.all()`, so prefetch choices to keep this query-free.
    """
    choices = list(question.choices.all())
    credits = scoring.effective_credits(
        question.kind,
        [scoring.ChoiceSpec(c.pk, c.is_correct, c.credit) for c in choices],
    )
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
            {
                "id": c.pk,
                "text": c.text,
                "credit": str(credits[c.pk]),
                "feedback": c.feedback,
            }
            for c in choices
        ],
    }


def slot_fraction(snapshot: Mapping[str, Any], selected: Sequence[int]) -> Decimal:
    credits = {int(c["id"]): Decimal(c["credit"]) for c in snapshot["choices"]}
    return scoring.question_fraction(
        snapshot["kind"], credits, selected, all_or_nothing=bool(snapshot["all_or_nothing"])
    )


@transaction.atomic
def attempt_start(*, user: User, quiz: Quiz) -> Attempt:
    """Start an attempt, or return the learner's open one: never two open at once.

    The attempt pins its questions, their order and each question's text, choices and
    credits as they are now, so later edits change neither what it shows nor its score.
    """
    open_attempt = Attempt.objects.filter(user=user, quiz=quiz, state=AttemptState.OPEN).first()
    if open_attempt is not None:
        return open_attempt
    number = (
        Attempt.objects.filter(user=user, quiz=quiz).aggregate(n=Max("number"))["n"] or 0
    ) + 1
    questions = list(
        quiz.questions.filter(is_active=True).order_by("order", "pk").prefetch_related("choices")
    )
    try:
        with transaction.atomic():
            attempt = Attempt.objects.create(
                user=user, quiz=quiz, number=number, started_at=timezone.now()
            )
    except IntegrityError:
        # Another request (a second tab, a double click) started one first: resume it.
        return Attempt.objects.get(user=user, quiz=quiz, state=AttemptState.OPEN)
    AttemptQuestion.objects.bulk_create(
        AttemptQuestion(
            attempt=attempt, question=question, position=position,
            snapshot=question_snapshot(question),
        )
        for position, question in enumerate(questions, start=1)
    )
    return attempt


@transaction.atomic
def attempt_submit(
    *,
    attempt: Attempt,
    slots: Sequence[AttemptQuestion],
    answers: Mapping[int, Sequence[int]],
) -> Attempt:
    """Store the answers, score the attempt and finish it, exactly once.

    `answers` maps question ids to chosen choice ids, already validated against the
    slots. Finishing is a compare-and-set on the attempt's state: when another request
    finished it first, this raises AttemptAlreadyFinished and changes nothing.
    Passing a lesson's checkpoint quiz completes that lesson.
    """
    now = timezone.now()
    saved = {r.question_id: list(r.selected) for r in attempt.responses.all()}
    responses = []
    items = []
    for slot in slots:
        selected = sorted(answers.get(slot.question_id, saved.get(slot.question_id, [])))
        fraction = slot_fraction(slot.snapshot, selected)
        items.append((fraction, Decimal(slot.snapshot["points"])))
        responses.append(
            Response(
                attempt=attempt, question_id=slot.question_id, selected=selected,
                fraction=fraction, answered_at=now,
            )
        )
    score = scoring.attempt_score(items)
    quiz = attempt.quiz
    passed = scoring.has_passed(score.percentage, quiz.pass_mark)
    finished = Attempt.objects.filter(pk=attempt.pk, state=AttemptState.OPEN).update(
        state=AttemptState.FINISHED,
        finished_at=now,
        points_earned=score.points_earned,
        points_possible=score.points_possible,
        percentage=score.percentage,
        passed=passed,
    )
    if not finished:
        raise AttemptAlreadyFinished
    Response.objects.bulk_create(
        responses,
        update_conflicts=True,
        unique_fields=["attempt", "question"],
        update_fields=["selected", "fraction", "answered_at"],
    )
    if passed and quiz.lesson_id is not None:
        LessonProgress.objects.bulk_create(
            [LessonProgress(user_id=attempt.user_id, lesson_id=quiz.lesson_id,
                            last_viewed_at=now, completed_at=now)],
            ignore_conflicts=True,
        )
        LessonProgress.objects.filter(
            user_id=attempt.user_id, lesson_id=quiz.lesson_id, completed_at__isnull=True
        ).update(completed_at=now)
    attempt.state = AttemptState.FINISHED
    attempt.finished_at = now
    attempt.points_earned = score.points_earned
    attempt.points_possible = score.points_possible
    attempt.percentage = score.percentage
    attempt.passed = passed
    return attempt
