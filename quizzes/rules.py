"""Quiz rules for one learner: when they may start, until when they may answer, what
they may see afterwards. Pure functions over loaded objects, so they run in no query.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from django.utils import formats
from django.utils.translation import gettext as _

from .models import Attempt, Quiz, QuizOverride, ReviewTiming


@dataclass(frozen=True)
class Allowance:
    """The quiz's settings for one learner, after their override."""

    attempts_allowed: int | None
    time_limit: timedelta | None
    opens_at: datetime | None
    closes_at: datetime | None


def allowance(quiz: Quiz, override: QuizOverride | None) -> Allowance:
    """Apply an override. A longer time limit also moves the close date later by the
    difference (unless the override sets its own close date), so extra time granted as an
    accommodation is never swallowed by the quiz closing.
    """
    attempts = quiz.attempts_allowed
    minutes = quiz.time_limit_minutes
    closes_at = quiz.closes_at
    if override is not None:
        if attempts is not None:
            attempts += override.extra_attempts
        if override.time_limit_minutes:
            extra = override.time_limit_minutes - (minutes or 0)
            minutes = override.time_limit_minutes
            if closes_at is not None and extra > 0 and minutes:
                closes_at = closes_at + timedelta(minutes=extra)
        if override.closes_at is not None:
            closes_at = override.closes_at
    return Allowance(
        attempts_allowed=attempts,
        time_limit=timedelta(minutes=minutes) if minutes else None,
        opens_at=quiz.opens_at,
        closes_at=closes_at,
    )


def deadline(started_at: datetime, rules: Allowance) -> datetime | None:
    """The earlier of start + time limit and the close date; None when neither applies."""
    candidates = [moment for moment in (
        started_at + rules.time_limit if rules.time_limit else None,
        rules.closes_at,
    ) if moment is not None]
    return min(candidates) if candidates else None


def _when(moment: datetime) -> str:
    return str(formats.date_format(moment, "j F Y, H:i T"))


class StartBlock(StrEnum):
    """Why a learner may not start an attempt, in the order the rules are checked."""

    NOT_ENROLLED = "not_enrolled"
    LESSON_LOCKED = "lesson_locked"
    NOT_OPEN = "not_open"
    CLOSED = "closed"
    NO_ATTEMPTS_LEFT = "no_attempts_left"
    CHECKPOINTS = "checkpoints"
    DELAY = "delay"


@dataclass(frozen=True)
class Refusal:
    block: StartBlock
    message: str

    def __str__(self) -> str:
        return self.message


def start_refusal(
    quiz: Quiz,
    rules: Allowance,
    attempts: Sequence[Attempt],
    now: datetime,
    missing_checkpoints: Sequence[Quiz] = (),
) -> Refusal | None:
    """Why this learner may not start a new attempt now (by the quiz's own settings and
    their override), or None when they may.
    """
    if rules.opens_at is not None and now < rules.opens_at:
        return Refusal(StartBlock.NOT_OPEN, _("This quiz opens on %(when)s.")
                       % {"when": _when(rules.opens_at)})
    if rules.closes_at is not None and now >= rules.closes_at:
        return Refusal(StartBlock.CLOSED, _("This quiz closed on %(when)s.")
                       % {"when": _when(rules.closes_at)})
    if rules.attempts_allowed is not None and len(attempts) >= rules.attempts_allowed:
        return Refusal(
            StartBlock.NO_ATTEMPTS_LEFT,
            _("You have used all %(n)s attempts allowed for this quiz.")
            % {"n": rules.attempts_allowed},
        )
    if missing_checkpoints:
        titles = ", ".join(f"“{q.title}”" for q in missing_checkpoints)
        return Refusal(StartBlock.CHECKPOINTS, _("Pass the checkpoint quizzes first: "
                                                 "%(titles)s.") % {"titles": titles})
    finished = [a.finished_at for a in attempts if a.finished_at is not None]
    if quiz.attempt_delay_minutes and finished:
        ready = max(finished) + timedelta(minutes=quiz.attempt_delay_minutes)
        if now < ready:
            return Refusal(StartBlock.DELAY, _("You can start another attempt from "
                                               "%(when)s.") % {"when": _when(ready)})
    return None


def is_overdue(attempt: Attempt, now: datetime) -> bool:
    return attempt.deadline is not None and now >= attempt.deadline


@dataclass(frozen=True)
class Review:
    score: bool
    answers: bool
    feedback: bool


def _visible(timing: str, rules: Allowance, now: datetime, attempts_used: int) -> bool:
    closed = rules.closes_at is not None and now >= rules.closes_at
    if timing == ReviewTiming.IMMEDIATELY:
        return True
    if timing == ReviewTiming.AFTER_CLOSE:
        return closed
    if timing == ReviewTiming.AFTER_LAST_ATTEMPT:
        # Unlimited attempts never run out, so only closing the quiz shows the review.
        last_used = rules.attempts_allowed is not None and attempts_used >= rules.attempts_allowed
        return closed or last_used
    return False


def review(quiz: Quiz, rules: Allowance, now: datetime, *, attempts_used: int = 0) -> Review:
    """What a learner may see of their finished attempts now, by the quiz's review options.

    `attempts_used` counts the learner's finished attempts; a caller that does not pass it
    gets the stricter answer for "after the last attempt" (hidden until the quiz closes).
    """
    return Review(
        score=_visible(quiz.review_score, rules, now, attempts_used),
        answers=_visible(quiz.review_answers, rules, now, attempts_used),
        feedback=_visible(quiz.review_feedback, rules, now, attempts_used),
    )
