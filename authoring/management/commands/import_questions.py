from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from authoring.importers import FORMATS, GIFT, ImportFailed, questions_import
from course.uploads import PROBLEMS_SHOWN, NotUTF8, decode_text, shown_problems
from quizzes.models import Quiz


class Command(BaseCommand):
    help = (
        "Import questions from a GIFT (default) or Aiken file into a quiz, after its "
        "existing questions. All or nothing: a malformed file, or one with question types "
        "we do not import (unless --skip-unsupported), names the lines at fault (the first "
        f"{PROBLEMS_SHOWN}, then how many more), imports nothing and exits non-zero; so does "
        "a file over QUIZ_MAX_QUESTIONS_PER_IMPORT questions or one that would take the quiz "
        "past QUIZ_MAX_QUESTIONS."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("quiz_slug", help="Slug of the quiz.")
        parser.add_argument("file", help="Path of the GIFT or Aiken file (UTF-8).")
        parser.add_argument("--format", choices=FORMATS, default=GIFT,
                            help="File format (default: gift).")
        parser.add_argument("--course", help="Course slug, when several courses share the slug.")
        parser.add_argument("--skip-unsupported", action="store_true",
                            help="Skip and list unsupported question types instead of failing.")

    def handle(self, *args: Any, **options: Any) -> None:
        quiz = self._quiz(options["quiz_slug"], options["course"])
        path = Path(options["file"])
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror}") from exc
        try:
            report = questions_import(
                quiz=quiz, text=decode_text(data), fmt=options["format"],
                skip_unsupported=options["skip_unsupported"],
            )
        except NotUTF8 as exc:
            raise CommandError(f"Nothing was imported.\n{path}: {exc}") from exc
        except ImportFailed as exc:
            lines = "\n".join(shown_problems([f"{path}: {problem}" for problem in exc.problems]))
            raise CommandError(f"Nothing was imported.\n{lines}") from exc
        for note in report.notes:
            self.stderr.write(f"{path}: {note}")
        for skipped in report.skipped:
            self.stderr.write(f"{path}: skipped: {skipped}")
        self.stdout.write(
            f"Imported {report.imported} questions into quiz '{quiz.slug}' of course "
            f"'{quiz.course.slug}'" + (f"; skipped {len(report.skipped)}." if report.skipped
                                       else ".")
        )

    def _quiz(self, slug: str, course: str | None) -> Quiz:
        quizzes = Quiz.objects.filter(slug=slug)
        if course:
            quizzes = quizzes.filter(course__slug=course)
        found = list(quizzes.select_related("course"))
        if not found:
            raise CommandError(f"No quiz with slug '{slug}'.")
        if len(found) > 1:
            courses = ", ".join(q.course.slug for q in found)
            raise CommandError(f"Several courses have that quiz ({courses}): give --course.")
        return found[0]
