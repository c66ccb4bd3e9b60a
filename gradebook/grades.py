"""The one query layer behind the gradebook page, the dashboard and every export.

Rows are computed from a fixed number of queries per batch of learners, whatever the
number of lessons, quizzes or attempts, so the page and the files show the same numbers.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from itertools import groupby
from operator import itemgetter
from typing import Any

from django.db.models import Avg, Count, F, Max, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce, Greatest

from course.models import Cohort, Course, Enrolment, LessonProgress
from quizzes import scoring, selectors
from quizzes.models import Attempt, AttemptState, Quiz


@dataclass(frozen=True)
class GradebookRow:
    user_id: int
    username: str
    first_name: str
    last_name: str
    email: str
    cohort: str
    grades: tuple[Decimal | None, ...]
    course_grade: Decimal | None
    lessons_completed: int
    last_activity: datetime | None


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _latest(*values: datetime | None) -> datetime | None:
    present = [v for v in values if v is not None]
    return max(present) if present else None


NAME_ORDER = ["user__last_name", "user__first_name", "user__username", "pk"]
FIELD_SORTS = {
    "username": "user__username",
    "first_name": "user__first_name",
    "last_name": "user__last_name",
    "email": "user__email",
    "cohort": "cohort__name",
}


def _quiz_grade_expression(quiz: Quiz) -> Subquery:
    """A learner's grade in one quiz as SQL, by the quiz's grading method (for sorting)."""
    finished = Attempt.objects.filter(
        user_id=OuterRef("user_id"), quiz=quiz, state=AttemptState.FINISHED
    )
    method = quiz.grading_method
    if method == "average":
        return Subquery(
            finished.values("user_id").annotate(avg=Avg("percentage")).values("avg")[:1]
        )
    order = {"first": "number", "last": "-number"}.get(method, "-percentage")
    return Subquery(finished.order_by(order).values("percentage")[:1])


class Gradebook:
    """Learners × graded quizzes of one course, narrowed to a cohort or a search, sorted."""

    SORTS = (*FIELD_SORTS, "course_grade", "lessons_completed", "last_activity")

    def __init__(
        self, course: Course, *, cohort: Cohort | None = None, search: str = "", sort: str = ""
    ) -> None:
        self.course = course
        self.cohort = cohort
        self.search = search.strip()
        self.quizzes: list[Quiz] = list(Quiz.objects.filter(course=course).graded())
        self.sort = sort if self._sort_key(sort.lstrip("-")) else ""

    def sort_keys(self) -> list[str]:
        """Every column one may sort by: identity fields, quiz-<id>, and computed columns."""
        return [*self.SORTS[:5], *(f"quiz-{q.pk}" for q in self.quizzes), *self.SORTS[5:]]

    def _sort_key(self, key: str) -> bool:
        return key in self.sort_keys()

    def _ordered(self, qs: QuerySet[Enrolment]) -> QuerySet[Enrolment]:
        if not self.sort:
            return qs.order_by(*NAME_ORDER)
        descending = self.sort.startswith("-")
        key = self.sort.lstrip("-")
        if key in FIELD_SORTS:
            expression: Any = F(FIELD_SORTS[key])
        elif key.startswith("quiz-"):
            quiz = next(q for q in self.quizzes if f"quiz-{q.pk}" == key)
            expression = _quiz_grade_expression(quiz)
        elif key == "course_grade":
            # Σ weight × grade; dividing by the constant Σ weights would not change the order.
            terms = [
                Coalesce(_quiz_grade_expression(q), Value(Decimal(0))) * Value(q.weight)
                for q in self.quizzes
            ]
            expression = sum(terms[1:], terms[0]) if terms else Value(0)
        elif key == "lessons_completed":
            expression = Subquery(
                LessonProgress.objects.filter(
                    user_id=OuterRef("user_id"), lesson__course=self.course,
                    lesson__is_published=True, completed_at__isnull=False,
                ).values("user_id").annotate(n=Count("pk")).values("n")[:1]
            )
        else:
            expression = Greatest(
                Coalesce(Subquery(
                    LessonProgress.objects.filter(
                        user_id=OuterRef("user_id"), lesson__course=self.course
                    ).order_by("-last_viewed_at").values("last_viewed_at")[:1]
                ), Value(EPOCH)),
                Coalesce(Subquery(
                    Attempt.objects.filter(
                        user_id=OuterRef("user_id"), quiz__course=self.course
                    ).order_by("-started_at").values("started_at")[:1]
                ), Value(EPOCH)),
            )
        ordered = expression.desc(nulls_last=True) if descending else expression.asc(
            nulls_first=True
        )
        return qs.annotate(sort_value=expression).order_by(ordered, *NAME_ORDER)

    def enrolments(self) -> QuerySet[Enrolment]:
        """The filtered learners in the gradebook's sort order."""
        return self._ordered(self.filtered())

    def filtered(self) -> QuerySet[Enrolment]:
        """The learners the cohort and search select, unordered."""
        qs = Enrolment.objects.filter(course=self.course).select_related("user", "cohort")
        if self.cohort is not None:
            qs = qs.filter(cohort=self.cohort)
        if self.search:
            term = self.search
            qs = qs.filter(
                Q(user__username__icontains=term)
                | Q(user__first_name__icontains=term)
                | Q(user__last_name__icontains=term)
                | Q(user__email__icontains=term)
            )
        return qs

    def _attempts(self, users: Any) -> Any:
        """Finished attempts' scores by learner, oldest first (what the grades need)."""
        return (
            Attempt.objects.filter(
                quiz__course=self.course, user_id__in=users, state=AttemptState.FINISHED,
                percentage__isnull=False,
            )
            .order_by("user_id", "number")
            .values_list("user_id", "quiz_id", "percentage")
        )

    def _activity(self, users: Any) -> Any:
        """Each learner's latest attempt start and finish, aggregated in the database."""
        return (
            Attempt.objects.filter(quiz__course=self.course, user_id__in=users)
            .values("user_id")
            .annotate(last_started=Max("started_at"), last_finished=Max("finished_at"))
            .order_by("user_id")
        )

    def _progress(self, users: Any) -> Any:
        return (
            LessonProgress.objects.filter(lesson__course=self.course, user_id__in=users)
            .values("user_id")
            .annotate(
                completed=Count(
                    "pk", filter=Q(completed_at__isnull=False, lesson__is_published=True)
                ),
                last_viewed=Max("last_viewed_at"),
                last_completed=Max("completed_at"),
            )
            .order_by("user_id")
        )

    def _row(
        self,
        identity: Sequence[Any],
        attempts: Iterable[Sequence[Any]],
        stats: dict[str, Any],
        activity: dict[str, Any],
    ) -> GradebookRow:
        """One learner's row from their identity, finished scores (oldest first), lesson
        progress and attempt activity.
        """
        user_id, username, first_name, last_name, email, cohort = identity
        percentages: dict[int, list[Decimal]] = defaultdict(list)
        for _user, quiz_id, percentage in attempts:
            percentages[quiz_id].append(percentage)
        grades = tuple(
            selectors.grade_from_marks(quiz, percentages.get(quiz.pk, []))
            for quiz in self.quizzes
        )
        return GradebookRow(
            user_id=user_id,
            username=username,
            first_name=first_name,
            last_name=last_name,
            email=email,
            cohort=cohort or "",
            grades=grades,
            course_grade=scoring.course_grade(
                (quiz.weight, grade) for quiz, grade in zip(self.quizzes, grades, strict=True)
            ),
            lessons_completed=int(stats.get("completed", 0)),
            last_activity=_latest(
                stats.get("last_viewed"), stats.get("last_completed"),
                activity.get("last_started"), activity.get("last_finished"),
            ),
        )

    def rows(self, enrolments: Iterable[Enrolment]) -> list[GradebookRow]:
        """Rows for these enrolments (a page), in three queries whatever their number."""
        enrolments = list(enrolments)
        user_ids = [e.user_id for e in enrolments]
        if not user_ids:
            return []
        attempts = {
            user_id: list(group)
            for user_id, group in groupby(self._attempts(user_ids), key=itemgetter(0))
        }
        progress = {row["user_id"]: row for row in self._progress(user_ids)}
        activity = {row["user_id"]: row for row in self._activity(user_ids)}
        return [
            self._row(
                (e.user_id, e.user.get_username(), e.user.first_name, e.user.last_name,
                 e.user.email, e.cohort.name if e.cohort else ""),
                attempts.get(e.user_id, []),
                progress.get(e.user_id, {}),
                activity.get(e.user_id, {}),
            )
            for e in enrolments
        ]

    def iter_rows(self) -> Iterator[GradebookRow]:
        """Every row, for exports: four streamed queries merged by learner, whatever the
        number of learners, so both the query count and memory stay flat.
        """
        users = self.filtered().values("user_id")
        identities = (
            self.filtered()
            .order_by("user_id")
            .values_list(
                "user_id", "user__username", "user__first_name", "user__last_name",
                "user__email", "cohort__name",
            )
            .iterator(chunk_size=2000)
        )
        scores = _Cursor(self._attempts(users).iterator(chunk_size=5000), itemgetter(0))
        progress = _Cursor(self._progress(users).iterator(chunk_size=2000), BY_USER)
        activity = _Cursor(self._activity(users).iterator(chunk_size=2000), BY_USER)
        for identity in identities:
            user_id = identity[0]
            mine = scores.take(user_id)
            stats = progress.take(user_id)
            moments = activity.take(user_id)
            yield self._row(
                identity, mine, stats[0] if stats else {}, moments[0] if moments else {}
            )


BY_USER = itemgetter("user_id")


class _Cursor:
    """Walks rows ordered by learner alongside the learners: take(user) returns that
    learner's rows (possibly none), skipping rows of learners not asked for.
    """

    def __init__(self, rows: Iterable[Any], key: Callable[[Any], int]) -> None:
        self._groups = _by_user(rows, key)
        self._current = next(self._groups, None)

    def take(self, user_id: int) -> list[Any]:
        while self._current is not None and self._current[0] < user_id:
            self._current = next(self._groups, None)
        if self._current is not None and self._current[0] == user_id:
            return self._current[1]
        return []


def _by_user(rows: Iterable[Any], key: Callable[[Any], int]) -> Iterator[tuple[int, list[Any]]]:
    """Group rows already ordered by learner: (user_id, that learner's rows)."""
    for user_id, group in groupby(rows, key=key):
        yield user_id, list(group)
