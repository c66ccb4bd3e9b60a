from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from course.models import Cohort, Course
from gradebook import exports
from gradebook.grades import Gradebook


class Command(BaseCommand):
    help = (
        "Export a course's grades (or, with --responses, every answer) as CSV, XLSX or ODS: "
        "the same numbers as the gradebook page. CSV goes to standard output unless "
        "--output is given; XLSX and ODS need --output."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("course_slug", help="Slug of the course.")
        parser.add_argument("--cohort", help="Only learners in this cohort (by name).")
        parser.add_argument("--format", choices=sorted(exports.FORMATS), default="csv",
                            help="File format (default csv).")
        parser.add_argument("--output", help="Write to this file instead of standard output.")
        parser.add_argument("--responses", action="store_true",
                            help="One row per attempt and question instead of per learner.")

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
        fmt = options["format"]
        book = Gradebook(course, cohort=cohort)
        table = exports.responses_table(book) if options["responses"] else exports.grades_table(
            book
        )
        if not options["output"]:
            if fmt != "csv":
                raise CommandError(f"--format {fmt} writes a binary file: give --output PATH.")
            for line in exports.csv_lines(table):
                self.stdout.write(line, ending="")
            return
        path = Path(options["output"])
        try:
            with path.open("wb") as handle:
                exports.write_file(handle, table, fmt)
        except OSError as exc:
            raise CommandError(f"Cannot write {path}: {exc.strerror}") from exc
        self.stderr.write(f"Wrote {path}")
