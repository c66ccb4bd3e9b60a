"""Item analysis page for a quiz's instructors (Moodle's quiz statistics report)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from course.models import Course
from quizzes.models import Quiz

from . import analysis, charts

RIGHT_MARK = "✓"


def histogram_chart(stats: analysis.QuizStatistics) -> SafeString:
    return charts.bar_chart(
        [band.label for band in stats.histogram],
        [band.count for band in stats.histogram],
        title=_("Distribution of attempt grades"),
        description=_(
            "Number of finished attempts in each band of ten percentage points, from 0–10 "
            "to 90–100; a grade of 100 counts in the last band. The table beside the chart "
            "gives the same numbers."
        ),
        chart_id="grade-histogram",
        x_label=_("Grade (%)"),
        y_label=_("Attempts"),
    )


def choice_chart(question: analysis.QuestionStatistics) -> SafeString:
    labels = [
        f"{choice.label} {RIGHT_MARK}" if choice.is_right else choice.label
        for choice in question.choices
    ]
    return charts.bar_chart(
        [*labels, _("None")],
        [*(choice.count for choice in question.choices), question.unanswered],
        title=_("Choices made in question %(number)s (%(key)s)")
        % {"number": question.number, "key": question.key},
        description=_(
            "Number of attempts, out of %(attempts)s, that chose each choice; %(mark)s marks "
            "a choice that earns credit, and “None” counts attempts without an answer. The "
            "table beside the chart gives the same numbers."
        ) % {"attempts": question.attempts, "mark": RIGHT_MARK},
        chart_id=f"choices-{question.question_id}",
        x_label=_("Choice"),
        y_label=_("Attempts"),
        bar_width=44,
    )


@login_required
def item_analysis(request: HttpRequest, course_slug: str, slug: str) -> HttpResponse:
    """Facility, discrimination and choice frequencies of one quiz; a 404 to non-teachers."""
    quiz = get_object_or_404(
        Quiz.objects.select_related("course"),
        course__in=Course.objects.taught_by(request.user),
        course__slug=course_slug,
        slug=slug,
    )
    stats = analysis.quiz_statistics(quiz)
    questions: list[dict[str, Any]] = [
        {"stats": question, "chart": choice_chart(question)} for question in stats.questions
    ]
    return render(
        request,
        "gradebook/item_analysis.html",
        {
            "quiz": quiz,
            "course": quiz.course,
            "stats": stats,
            "histogram_chart": histogram_chart(stats),
            "questions": questions,
            "right_mark": RIGHT_MARK,
        },
    )
