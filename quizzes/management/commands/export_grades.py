from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from course.models import Cohort, Course
from quizzes.exports import csv_lines
from quizzes.grades import Gradebook


class Command(BaseCommand):
    help = (
        "Export a course's grades as CSV (UTF-8, RFC 4180), the same numbers as the "
        "gradebook page. Writes to standard output unless --output is given."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("course_slug", help="Slug of the course.")
        parser.add_argument("--cohort", help="Only learners in this cohort (by name).")
        parser.add_argument("--format", choices=["csv"], default="csv",
                            help="File format (csv).")
        parser.add_argument("--output", help="Write to this file instead of standard output.")

    def handle(self, *args: Any, **options: Any) -> None:
        course = Course.objects.filter(slug=options["course_slug"]).first()
        if course is None:
            raise CommandError(f"No course with slug '{options['course_slug']}'.")
        cohort = None
        if options["cohort"]:
            cohort = Cohort.objects.filter(course=course, name=options["cohort"]).first()
            if cohort is None:
                names = ", ".join(course.cohorts.values_list("name", flat=True)) or "none"
                raise CommandError(
                    f"No cohort '{options['cohort']}' in course '{course.slug}' "
                    f"(cohorts: {names})."
                )
        lines = csv_lines(Gradebook(course, cohort=cohort))
        if options["output"]:
            path = Path(options["output"])
            try:
                with path.open("w", encoding="utf-8", newline="") as handle:
                    handle.writelines(lines)
            except OSError as exc:
                raise CommandError(f"Cannot write {path}: {exc.strerror}") from exc
            self.stderr.write(f"Wrote {path}")
        else:
            for line in lines:
                self.stdout.write(line, ending="")
