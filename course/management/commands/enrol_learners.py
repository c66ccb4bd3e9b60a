import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from course.enrolment_import import CSV_NOT_UTF8, EnrolmentImportError, enrolment_import
from course.models import Course
from course.uploads import PROBLEMS_SHOWN, NotUTF8, decode_text, shown_problems


class Command(BaseCommand):
    help = (
        "Enrol existing users in a course from a CSV file (UTF-8, header row with "
        "'username' and/or 'email', optional 'cohort'). All or nothing: if any row is bad, "
        "every bad line is listed and nobody is enrolled. Missing cohorts are created; an "
        "already-enrolled learner moves to the cohort the file gives. The first "
        f"{PROBLEMS_SHOWN} problems are listed, then how many more."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("course_slug", help="Slug of the course.")
        parser.add_argument("file", help="Path of the CSV file, or - for standard input.")

    def handle(self, *args: Any, **options: Any) -> None:
        course = Course.objects.filter(slug=options["course_slug"]).first()
        if course is None:
            raise CommandError(f"No course with slug '{options['course_slug']}'.")
        try:
            data = (
                sys.stdin.buffer.read()
                if options["file"] == "-"
                else Path(options["file"]).read_bytes()
            )
        except OSError as exc:
            raise CommandError(f"Cannot read {options['file']}: {exc.strerror}") from exc
        try:
            # The operator at the command line may enrol any account, staff included.
            text = decode_text(data, not_utf8=CSV_NOT_UTF8)
            report = enrolment_import(course=course, text=text, learners_only=False)
        except NotUTF8 as exc:
            raise CommandError(f"{exc} Nobody was enrolled.") from exc
        except EnrolmentImportError as exc:
            lines = "\n".join(shown_problems(exc.problems))
            raise CommandError(
                f"{len(exc.problems)} problem(s) in {options['file']}; nobody was enrolled "
                f"and nothing was changed:\n{lines}"
            ) from exc
        self.stdout.write(f"{course.slug}: {report.summary()}")
