from typing import Any

from django.core.management.base import BaseCommand, CommandError

from quizzes.models import Attempt, AttemptState
from quizzes.regrade import grade_mismatches


class Command(BaseCommand):
    help = (
        "Recompute every finished attempt from its pinned questions and stored responses; "
        "exit non-zero when any stored score differs."
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
                f"{item.attempt.quiz.slug} #{item.attempt.number}): stored "
                f"{item.stored}, recomputed {item.recomputed}"
            )
        if mismatches:
            raise CommandError(f"{len(mismatches)} of {checked} finished attempts differ.")
        self.stdout.write(f"All {checked} finished attempts match their recomputed scores.")
