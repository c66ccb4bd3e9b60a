"""Read rules of the quiz flow: one home for each question a page, an export or a command
asks about a learner (HackSoft's selectors). Views, the dashboard, the gradebook and the
commands call these and re-derive nothing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db.models import prefetch_related_objects
from django.utils import timezone
from django.utils.translation import gettext as _

from course import selectors as course_selectors
from course.models import Course, Lesson

from . import rules, scoring
from .models import Attempt, AttemptQuestion, AttemptState, Quiz, QuizOverride, ReviewTiming

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User


# A learner's grade in a quiz ---------------------------------------------------------------

def grade_from_marks(quiz: Quiz, marks: Sequence[Decimal]) -> Decimal | None:
    """The quiz grade from finished attempts' percentages (oldest first), by the quiz's
    grading method; None before any finished attempt. Every page, export and command
    that shows a quiz grade comes through here.
    """
    return scoring.quiz_grade(quiz.grading_method, marks)


def finished_marks(attempts: Iterable[Attempt]) -> list[Decimal]:
    """Percentages of the finished attempts among these, oldest first."""
    return [
        a.percentage
        for a in sorted(attempts, key=lambda a: a.number)
        if a.state == AttemptState.FINISHED and a.percentage is not None
    ]


def quiz_grade(quiz: Quiz, attempts: Iterable[Attempt]) -> Decimal | None:
    """A learner's grade in the quiz from their (loaded) attempts at it."""
    return grade_from_marks(quiz, finished_marks(attempts))


def grade_passes(quiz: Quiz, grade: Decimal | None) -> bool:
    return grade is not None and scoring.has_passed(grade, quiz.pass_mark)


def override_for(user: User | AnonymousUser, quiz: Quiz) -> QuizOverride | None:
    return QuizOverride.objects.filter(user_id=user.pk or 0, quiz=quiz).first()


def allowance_for(user: User | AnonymousUser, quiz: Quiz) -> rules.Allowance:
    """The quiz's settings for this learner, after their override."""
    return rules.allowance(quiz, override_for(user, quiz))


def review_for(
    user: User | AnonymousUser, quiz: Quiz, now: datetime | None = None
) -> tuple[rules.Allowance, rules.Review]:
    """What this learner may see of their finished attempts of `quiz` now, with the
    allowance it was judged on: the result page's question ("after the last attempt"
    needs the number of finished attempts)."""
    allowance = allowance_for(user, quiz)
    used = Attempt.objects.filter(
        user_id=user.pk or 0, quiz=quiz, state=AttemptState.FINISHED
    ).count()
    return allowance, rules.review(
        quiz, allowance, now or timezone.now(), attempts_used=used
    )


def lesson_completed_by(quiz: Quiz) -> int | None:
    """The lesson that passing this checkpoint quiz completes, or None. None too while the
    quiz hides scores: a completed lesson would tell the learner they passed.
    """
    if quiz.lesson_id is None or quiz.review_score != ReviewTiming.IMMEDIATELY:
        return None
    return quiz.lesson_id


# Where a learner stands in an open attempt ------------------------------------------------

@dataclass(frozen=True)
class QuestionState:
    """One question of an attempt as the learner left it: what is saved, whether it counts
    as answered, and whether they flagged it for review."""

    slot: AttemptQuestion
    selected: tuple[int, ...]

    @property
    def answered(self) -> bool:
        return bool(self.selected)

    @property
    def flagged(self) -> bool:
        return self.slot.flagged


def question_states(attempt: Attempt) -> list[QuestionState]:
    """Each question of the attempt in the order shown, with its saved answer and flag,
    in two queries. The navigator, the summary page and the take page all read this.
    """
    saved = {r.question_id: tuple(r.selected) for r in attempt.responses.all()}
    return [
        QuestionState(slot=slot, selected=saved.get(slot.question_id, ()))
        for slot in attempt.slots.all()
    ]


# Whether and why a learner may start a quiz ---------------------------------------------

@dataclass(frozen=True)
class StartDecision:
    """Whether a learner may start (or resume) an attempt at a quiz now, and if not, why.

    `refusal` is None when they may. An open attempt is resumed rather than started, so
    the quiz's own limits do not refuse it; enrolment and the lesson gate still do.
    """

    quiz: Quiz
    enrolled: bool
    allowance: rules.Allowance
    attempts: tuple[Attempt, ...]
    override: QuizOverride | None = None
    refusal: rules.Refusal | None = None
    locked_by: Lesson | None = None
    missing_checkpoints: tuple[Quiz, ...] = field(default=())

    @property
    def may_start(self) -> bool:
        return self.refusal is None

    @property
    def block(self) -> rules.StartBlock | None:
        """Which rule refuses, or None."""
        return None if self.refusal is None else self.refusal.block

    @property
    def reason(self) -> str | None:
        return None if self.refusal is None else self.refusal.message

    @property
    def open_attempt(self) -> Attempt | None:
        return next((a for a in self.attempts if a.state == AttemptState.OPEN), None)

    @property
    def grade(self) -> Decimal | None:
        return quiz_grade(self.quiz, self.attempts)

    @property
    def needs_confirmation(self) -> bool:
        """A new attempt at a timed or attempt-limited quiz starts only after the learner
        has seen the time limit and the attempts left and confirmed (Moodle's start
        confirmation); resuming an open attempt, or an untimed unlimited quiz, is one click.
        """
        if self.open_attempt is not None:
            return False
        return self.allowance.time_limit is not None or self.allowance.attempts_allowed is not None

    @property
    def attempts_left(self) -> int | None:
        """Attempts the learner may still start; None when the quiz allows unlimited."""
        allowed = self.allowance.attempts_allowed
        return None if allowed is None else max(0, allowed - len(self.attempts))

    @property
    def attempts_used(self) -> int:
        """Attempts counted against the limit: every one started, as the start rule counts."""
        return len(self.attempts)

    @property
    def finished_count(self) -> int:
        return sum(1 for a in self.attempts if a.state == AttemptState.FINISHED)

    def review(self, now: datetime | None = None) -> rules.Review:
        """What the learner may see of their finished attempts now."""
        return rules.review(
            self.quiz, self.allowance, now or timezone.now(), attempts_used=self.finished_count
        )


def _missing_checkpoints(
    quiz: Quiz, checkpoints: Sequence[Quiz], attempts: Sequence[Attempt]
) -> tuple[Quiz, ...]:
    """The course's checkpoint quizzes not passed yet, when `quiz` requires them."""
    if not quiz.requires_checkpoints_passed:
        return ()
    missing = []
    for checkpoint in checkpoints:
        if checkpoint.course_id != quiz.course_id or checkpoint.pk == quiz.pk:
            continue
        mine = [a for a in attempts if a.quiz_id == checkpoint.pk]
        if not grade_passes(checkpoint, quiz_grade(checkpoint, mine)):
            missing.append(checkpoint)
    return tuple(missing)


def _lesson_locks(user: User | AnonymousUser, quizzes: Sequence[Quiz]) -> dict[int, Lesson]:
    """For quizzes in a gated lesson, the previous lesson still to complete (by quiz id).

    Loads nothing unless a quiz sits in a lesson that requires the previous one.
    """
    with_lesson = [q for q in quizzes if q.lesson_id is not None]
    prefetch_related_objects([q for q in with_lesson if not Quiz.lesson.is_cached(q)], "lesson")
    gated = [q for q in with_lesson if q.lesson is not None and q.lesson.requires_previous]
    if not gated:
        return {}
    course_ids = {q.course_id for q in gated}
    lessons, done = course_selectors.published_lessons_done(user, course_ids)
    locks: dict[int, Lesson] = {}
    for course_id in course_ids:
        in_course = [lesson for lesson in lessons if lesson.course_id == course_id]
        locks.update(course_selectors.locks_in_order(in_course, done, exempt=False))
    if not locks:
        return {}
    # Who teaches the course is never gated (asked only when a gate would hold).
    exempt = course_selectors.taught_course_ids(user, course_ids)
    return {
        q.pk: locks[q.lesson_id]
        for q in gated
        if q.lesson_id in locks and q.course_id not in exempt
    }


def start_decisions(
    user: User | AnonymousUser,
    quizzes: Sequence[Quiz],
    *,
    now: datetime | None = None,
    enrolled_in: Collection[int] | None = None,
) -> dict[int, StartDecision]:
    """Whether and why the learner may start each quiz, in a fixed number of queries
    (select the quizzes' lessons, or one more query loads them).

    The rules, in order: enrolment in the course, the lesson gate (instructors exempt),
    the quiz's dates and attempt limit after the learner's override, required
    checkpoints, and the delay between attempts. `enrolled_in` (course ids) saves the
    enrolment query when the caller has just read the learner's enrolment.
    """
    now = now or timezone.now()
    if not quizzes:
        return {}
    course_ids = {q.course_id for q in quizzes}
    enrolled = (
        set(enrolled_in) & course_ids if enrolled_in is not None
        else course_selectors.enrolled_course_ids(user, course_ids)
    )
    needs_checkpoints = any(q.requires_checkpoints_passed for q in quizzes)
    checkpoints: list[Quiz] = []
    if needs_checkpoints:
        checkpoints = list(
            Quiz.objects.published().filter(course_id__in=course_ids, lesson__isnull=False)
            .order_by("order", "pk")
        )
    wanted = {q.pk for q in quizzes} | {c.pk for c in checkpoints}
    attempts = list(
        Attempt.objects.for_user(user).filter(quiz_id__in=wanted).order_by("quiz_id", "number")
    )
    overrides = {
        o.quiz_id: o
        for o in QuizOverride.objects.filter(user_id=user.pk or 0, quiz__in=quizzes)
    }
    locks = _lesson_locks(user, quizzes)
    decisions = {}
    for quiz in quizzes:
        mine = tuple(a for a in attempts if a.quiz_id == quiz.pk)
        override = overrides.get(quiz.pk)
        allowance = rules.allowance(quiz, override)
        missing = _missing_checkpoints(quiz, checkpoints, attempts)
        locked = locks.get(quiz.pk)
        refusal: rules.Refusal | None = None
        if quiz.course_id not in enrolled:
            refusal = rules.Refusal(
                rules.StartBlock.NOT_ENROLLED, _("Enrol in the course before taking its quizzes.")
            )
        elif locked is not None:
            refusal = rules.Refusal(
                rules.StartBlock.LESSON_LOCKED,
                _("Complete “%(title)s” first.") % {"title": locked.title},
            )
        elif not any(a.state == AttemptState.OPEN for a in mine):
            refusal = rules.start_refusal(quiz, allowance, mine, now, missing)
        decisions[quiz.pk] = StartDecision(
            quiz=quiz, enrolled=quiz.course_id in enrolled, allowance=allowance,
            attempts=mine, override=override, refusal=refusal, locked_by=locked,
            missing_checkpoints=missing,
        )
    return decisions


def start_decision(
    user: User | AnonymousUser, quiz: Quiz, *, now: datetime | None = None
) -> StartDecision:
    """Whether and why the learner may start this quiz now (see start_decisions)."""
    return start_decisions(user, [quiz], now=now)[quiz.pk]


@dataclass(frozen=True)
class QuizStanding:
    quiz: Quiz
    grade: Decimal | None
    attempts: int
    passed: bool
    visible: bool = True
    decision: StartDecision | None = None


@dataclass(frozen=True)
class CourseStanding:
    course: Course
    quizzes: tuple[QuizStanding, ...]
    course_grade: Decimal | None
    course_grade_visible: bool = True


def learner_standings(user: Any, courses: Sequence[Course]) -> dict[int, CourseStanding]:
    """A learner's quiz grades, course grade and whether (and why not) they may start each
    quiz, in the courses they are enrolled in (`courses`), in a fixed number of queries:
    the quizzes, then start_decisions, whose attempts and overrides the grades reuse.
    """
    quizzes = list(
        Quiz.objects.filter(course__in=courses)
        .published()
        .select_related("course", "lesson")
        .order_by("course", "order", "pk")
    )
    now = timezone.now()
    decisions = start_decisions(user, quizzes, now=now, enrolled_in={c.pk for c in courses})
    by_course: dict[int, list[QuizStanding]] = defaultdict(list)
    for quiz in quizzes:
        decision = decisions[quiz.pk]
        marks = finished_marks(decision.attempts)
        grade = grade_from_marks(quiz, marks)
        by_course[quiz.course_id].append(
            QuizStanding(
                quiz=quiz,
                grade=grade,
                attempts=len(marks),
                passed=grade_passes(quiz, grade),
                visible=decision.review(now).score,
                decision=decision,
            )
        )
    standings = {}
    for course in courses:
        items = tuple(by_course.get(course.pk, []))
        standings[course.pk] = CourseStanding(
            course=course,
            quizzes=items,
            course_grade=scoring.course_grade(
                (s.quiz.weight, s.grade) for s in items if s.quiz.weight > 0
            ),
            # A hidden quiz score must not leak through the course grade either.
            course_grade_visible=all(s.visible for s in items if s.grade is not None),
        )
    return standings
