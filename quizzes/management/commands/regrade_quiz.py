from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from quizzes import scoring
from quizzes.models import Quiz
from quizzes.regrade import RegradeReport, attempt_regrade, regrade_plan


class Command(BaseCommand):
    help = (
        "Recompute a quiz's finished attempts against its current answer key. With "
        "--dry-run, list each learner's old and new score and change nothing; otherwise "
        "store the new scores with an audit record. Running it twice changes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("quiz_slug", help="Slug of the quiz.")
        parser.add_argument("--course", help="Course slug, when several courses share the slug.")
        parser.add_argument("--dry-run", action="store_true", help="Report, change nothing.")
        parser.add_argument("--actor", help="Username recorded as having run the regrade.")

    def handle(self, *args: Any, **options: Any) -> None:
        quizzes = Quiz.objects.filter(slug=options["quiz_slug"])
        if options["course"]:
            quizzes = quizzes.filter(course__slug=options["course"])
        found = list(quizzes.select_related("course"))
        if not found:
            raise CommandError(f"No quiz with slug '{options['quiz_slug']}'.")
        if len(found) > 1:
            courses = ", ".join(q.course.slug for q in found)
            raise CommandError(f"Several courses have that quiz ({courses}): give --course.")
        quiz = found[0]
        actor = None
        if options["actor"]:
            actor = get_user_model().objects.filter(username=options["actor"]).first()
            if actor is None:
                raise CommandError(f"No user '{options['actor']}'.")
        if options["dry_run"]:
            self._print(regrade_plan(quiz), "would change")
            return
        label = options["actor"] or "manage.py regrade_quiz"
        self._print(attempt_regrade(quiz=quiz, actor=actor, actor_label=label), "changed")

    def _print(self, report: RegradeReport, verb: str) -> None:
        for row in report.rows:
            self.stdout.write(
                f"{row.attempt.user.get_username()}\tattempt {row.attempt.number}\t"
                f"{scoring.display(row.old)} -> {scoring.display(row.new)}"
            )
        self.stdout.write(
            f"{report.checked} finished attempts checked; {len(report.rows)} {verb}."
        )
