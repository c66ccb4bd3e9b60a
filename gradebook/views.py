"""Instructor pages: the gradebook, its exports, and drill-downs to learners and attempts.

Every view resolves the course through Course.objects.taught_by(user), so a course the
user does not teach is a 404 and nothing about it leaks.
"""

from __future__ import annotations

import tempfile
from decimal import Decimal
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    StreamingHttpResponse,
)
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from course.models import Course, Enrolment, LessonProgress
from quizzes import scoring, selectors
from quizzes.forms import AttemptForm, field_name
from quizzes.models import Attempt, AttemptQuestion, Quiz
from quizzes.review import FULL_REVIEW, build_items, course_lessons, review_items
from quizzes.services import question_snapshot, slot_fraction
from quizzes.validation import quiz_problems

from . import exports
from .forms import GradebookFilterForm
from .grades import Gradebook

EXPORT_KINDS = {"grades": exports.grades_table, "responses": exports.responses_table}


def _taught_course(request: HttpRequest, course_slug: str) -> Course:
    if not request.user.is_authenticated:
        raise Http404
    return get_object_or_404(Course.objects.taught_by(request.user), slug=course_slug)


def _filtered_gradebook(request: HttpRequest, course: Course) -> tuple[Gradebook, Any]:
    form = GradebookFilterForm(request.GET or None, course=course)
    cohort = None
    search = ""
    if form.is_valid():
        cohort = form.cleaned_data["cohort"]
        search = form.cleaned_data["q"]
    book = Gradebook(course, cohort=cohort, search=search, sort=request.GET.get("sort", ""))
    return book, form


@login_required
def gradebook(request: HttpRequest, course_slug: str) -> HttpResponse:
    course = _taught_course(request, course_slug)
    book, form = _filtered_gradebook(request, course)
    page = Paginator(book.enrolments(), 100).get_page(request.GET.get("page"))
    filters = request.GET.copy()
    for key in ("page", "sort"):
        filters.pop(key, None)
    columns = [
        ("username", _("Username")), ("last_name", _("Name")), ("cohort", _("Cohort")),
        *((f"quiz-{quiz.pk}", quiz.title) for quiz in book.quizzes),
        ("course_grade", _("Course grade")), ("lessons_completed", _("Lessons completed")),
        ("last_activity", _("Last activity")),
    ]
    return render(
        request,
        "gradebook/gradebook.html",
        {
            "course": course, "gradebook": book, "form": form, "page": page,
            "rows": book.rows(page.object_list), "filters": filters.urlencode(),
            "columns": columns, "sort": book.sort,
            "formats": ["csv", "xlsx", "ods"],
        },
    )


@login_required
def gradebook_export(
    request: HttpRequest, course_slug: str, kind: str, fmt: str
) -> HttpResponse | StreamingHttpResponse:
    course = _taught_course(request, course_slug)
    if kind not in EXPORT_KINDS or fmt not in exports.FORMATS:
        return HttpResponseBadRequest(
            _("Unknown export: choose grades or responses, as csv, xlsx or ods.")
        )
    book, _form = _filtered_gradebook(request, course)
    table = EXPORT_KINDS[kind](book)
    content_type, extension = exports.FORMATS[fmt]
    filename = f"{course.slug}-{kind}-{timezone.now():%Y%m%d}.{extension}"
    if fmt == "csv":
        response = StreamingHttpResponse(exports.csv_lines(table), content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response
    # Spreadsheets are zip files: written to a temporary file (rows flushed as they come),
    # then streamed from disk, so memory stays flat however many learners there are.
    spool = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it
    exports.write_file(spool, table, fmt)
    spool.seek(0)
    return FileResponse(spool, as_attachment=True, filename=filename, content_type=content_type)


@login_required
def learner_detail(request: HttpRequest, course_slug: str, user_id: int) -> HttpResponse:
    course = _taught_course(request, course_slug)
    enrolment = get_object_or_404(
        Enrolment.objects.select_related("user", "cohort"), course=course, user_id=user_id
    )
    learner = enrolment.user
    quizzes = list(
        Quiz.objects.filter(course=course).published().select_related("lesson")
        .order_by("order", "pk")
    )
    # What the learner is told, from the same selector the quiz page and the start use.
    decisions = selectors.start_decisions(learner, quizzes, enrolled_in=[course.pk])
    progress = list(
        LessonProgress.objects.filter(user=learner, lesson__course=course)
        .select_related("lesson").order_by("lesson__order")
    )
    sections = []
    for quiz in quizzes:
        decision = decisions[quiz.pk]
        override = decision.override
        if override is not None:
            override_url = reverse("admin:quizzes_quizoverride_change", args=[override.pk])
        else:
            override_url = (
                reverse("admin:quizzes_quizoverride_add") + f"?quiz={quiz.pk}&user={learner.pk}"
            )
        sections.append({
            "quiz": quiz, "attempts": decision.attempts, "override": override,
            "override_url": override_url, "grade": decision.grade,
            "allowance": decision.allowance, "refusal": decision.reason,
        })
    return render(
        request,
        "gradebook/learner_detail.html",
        {"course": course, "enrolment": enrolment, "learner": learner, "sections": sections,
         "progress": progress},
    )


@login_required
def attempt_detail(request: HttpRequest, course_slug: str, pk: int) -> HttpResponse:
    """One attempt exactly as the learner saw it, with every answer and feedback shown."""
    course = _taught_course(request, course_slug)
    attempt = get_object_or_404(
        Attempt.objects.select_related("user", "quiz__course"), pk=pk, quiz__course=course
    )
    return render(
        request,
        "gradebook/attempt_detail.html",
        {"course": course, "attempt": attempt, "quiz": attempt.quiz, "learner": attempt.user,
         "items": review_items(attempt, FULL_REVIEW), "review": FULL_REVIEW},
    )




@login_required
def quiz_preview(request: HttpRequest, course_slug: str, slug: str) -> HttpResponse:
    """The quiz as a learner would take it, from the current questions, published or not.

    Answers are scored and explained on the page; nothing is stored.
    """
    course = _taught_course(request, course_slug)
    quiz = get_object_or_404(Quiz.objects.filter(course=course), slug=slug)
    questions = quiz.questions.filter(is_active=True).order_by("order", "pk")
    slots = [
        AttemptQuestion(question_id=question.pk, position=position,
                        snapshot=question_snapshot(question))
        for position, question in enumerate(questions.prefetch_related("choices"), start=1)
    ]
    form = AttemptForm(request.POST or None, slots=slots)
    items = None
    score = None
    if request.method == "POST" and form.is_valid():
        answers = form.answers()
        fractions = {s.question_id: slot_fraction(s.snapshot, answers.get(s.question_id, []))
                     for s in slots}
        score = scoring.attempt_score(
            (fractions[s.question_id], Decimal(s.snapshot["points"])) for s in slots
        ).percentage
        items = build_items(slots, answers, fractions, FULL_REVIEW, course_lessons(course.pk))
    questions_view = [
        {"slot": slot, "field": form[field_name(slot)],
         "multiple": slot.snapshot["kind"] == "multiple"}
        for slot in slots
    ]
    return render(
        request,
        "gradebook/quiz_preview.html",
        {"course": course, "quiz": quiz, "form": form, "questions": questions_view,
         "items": items, "score": score, "review": FULL_REVIEW,
         "passed": selectors.grade_passes(quiz, score),
         "problems": [] if quiz.is_published else quiz_problems(quiz)},
        status=400 if request.method == "POST" and not form.is_valid() else 200,
    )
