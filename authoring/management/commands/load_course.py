from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from authoring.content_loader import ContentError, load


class Command(BaseCommand):
    help = (
        "Load or update the course in a fixtures folder (docs/content-format.md). "
        "Idempotent; never touches learners' progress or attempts."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "path", nargs="?", default=str(settings.COURSE_FIXTURES_DIR),
            help="Folder holding course.yaml (default: the shipped course).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            report = load(Path(options["path"]))
        except ContentError as exc:
            raise CommandError(
                "The course was not loaded; nothing changed:\n  " + "\n  ".join(exc.problems)
            ) from exc
        self.stdout.write(self.style.SUCCESS(report.summary()))
