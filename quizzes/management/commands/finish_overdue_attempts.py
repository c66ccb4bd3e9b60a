from typing import Any

from django.core.management.base import BaseCommand

from quizzes.services import finish_overdue_attempts


class Command(BaseCommand):
    help = (
        "Finish every open attempt past its deadline with the answers saved by then. "
        "Safe to run from cron as often as you like: each attempt is finished exactly once."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        count = finish_overdue_attempts()
        self.stdout.write(f"Finished {count} overdue attempt{'s' if count != 1 else ''}.")
