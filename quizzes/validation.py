"""Whether a quiz can be answered right: the check behind publishing and the preview."""

from __future__ import annotations

from django.utils.translation import gettext as _

from . import scoring
from .models import Quiz


def quiz_problems(quiz: Quiz) -> list[str]:
    """Messages for every active question of the quiz that cannot be answered right."""
    questions = list(quiz.questions.filter(is_active=True).prefetch_related("choices"))
    if not questions:
        return [str(_("it has no active question."))]
    messages = []
    for question in questions:
        specs = [scoring.ChoiceSpec(c.pk, c.is_correct, c.credit) for c in question.choices.all()]
        for problem in scoring.question_problems(question.kind, specs):
            messages.append(f"“{question.key}”: {problem}.")
    return messages
