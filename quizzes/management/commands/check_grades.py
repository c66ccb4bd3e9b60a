from typing import Any

from django.core.management.base import BaseCommand, CommandError

from quizzes import scoring
from quizzes.models import Attempt, AttemptState
from quizzes.regrade import GradeMismatch, grade_mismatches


def _verdict(passed: bool | None) -> str:
    return {True: "passed", False: "failed", None: "none"}[passed]


class Command(BaseCommand):
    help = (
        "Recompute every finished attempt from its pinned questions and stored responses; "
        "exit non-zero when any stored score or pass/fail differs, naming what differs."
    )

    @staticmethod
    def _describe(item: GradeMismatch, what: str) -> str:
        if what == "percentage":
            return (
                f"percentage differs: stored {scoring.display(item.stored)}, recomputed "
                f"{scoring.display(item.recomputed)}"
            )
        return (
            f"pass/fail differs: stored {_verdict(item.stored_passed)}, recomputed "
            f"{_verdict(item.recomputed_passed)} at pass mark "
            f"{scoring.display(item.attempt.quiz.pass_mark)}"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        checked = 0
        mismatches = []
        base = (
            Attempt.objects.filter(state=AttemptState.FINISHED)
            .select_related("user", "quiz")
            .order_by("pk")
        )
        last = 0
        while True:
            batch = list(base.filter(pk__gt=last).prefetch_related("slots", "responses")[:500])
            if not batch:
                break
            checked += len(batch)
            mismatches += grade_mismatches(batch)
            last = batch[-1].pk
        for item in mismatches:
            self.stderr.write(
                f"attempt {item.attempt.pk} ({item.attempt.user.get_username()}, "
                f"{item.attempt.quiz.slug} #{item.attempt.number}): "
                + "; ".join(self._describe(item, what) for what in item.differs)
            )
        if mismatches:
            raise CommandError(f"{len(mismatches)} of {checked} finished attempts differ.")
        self.stdout.write(f"All {checked} finished attempts match their recomputed scores.")
