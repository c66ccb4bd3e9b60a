from __future__ import annotations

import contextlib
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import (
    HttpRequest,
    HttpResponse,
    JsonResponse,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from course.http import AuthenticatedHttpRequest
from course.models import Enrolment
from course.selectors import course_progress

from . import rules, selectors, services
from .forms import AttemptForm, field_name
from .models import Attempt, Quiz
from .review import review_items


def _published_quiz(course_slug: str, slug: str) -> Quiz:
    return get_object_or_404(
        Quiz.objects.published().select_related("course", "lesson__course"),
        course__slug=course_slug,
        course__is_published=True,
        slug=slug,
    )


@login_required
def quiz_detail(request: HttpRequest, course_slug: str, slug: str) -> HttpResponse:
    quiz = _published_quiz(course_slug, slug)
    decision = selectors.start_decision(request.user, quiz)
    grade = decision.grade
    return render(
        request,
        "quizzes/quiz_detail.html",
        {
            "quiz": quiz,
            "course": quiz.course,
            "enrolment": decision.enrolled,
            "attempts": decision.attempts,
            "open_attempt": decision.open_attempt,
            "allowance": decision.allowance,
            "refusal": decision.reason,
            "missing": decision.missing_checkpoints,
            "review": rules.review(quiz, decision.allowance, timezone.now()),
            "grade": grade,
            "passed": selectors.grade_passes(quiz, grade),
            "question_count": quiz.questions_per_attempt
            or quiz.questions.filter(is_active=True).count(),
        },
    )


@login_required
@require_POST
def quiz_start(
    request: AuthenticatedHttpRequest, course_slug: str, slug: str
) -> HttpResponse:
    quiz = _published_quiz(course_slug, slug)
    try:
        attempt = services.attempt_start(user=request.user, quiz=quiz)
    except services.AttemptNotAllowed as refused:
        messages.error(request, str(refused))
        decision = refused.decision
        if decision.locked_by is not None:
            return redirect(decision.locked_by)
        return redirect(quiz if decision.enrolled else quiz.course)
    return redirect("quizzes:take", pk=attempt.pk)


def _learner_attempt(request: HttpRequest, pk: int) -> Attempt:
    """The learner's own attempt; anyone else's is a 404 by construction."""
    return get_object_or_404(
        Attempt.objects.for_user(request.user).select_related("quiz__course", "quiz__lesson"),
        pk=pk,
    )


def _finish_if_overdue(request: HttpRequest, attempt: Attempt) -> bool:
    """Finish an open attempt past its deadline; True when it is (now) finished."""
    if not attempt.is_open:
        return True
    if not rules.is_overdue(attempt, timezone.now()):
        return False
    with contextlib.suppress(services.AttemptAlreadyFinished):
        services.attempt_finish_overdue(attempt=attempt)
    messages.warning(
        request, _("Time is up. Your attempt was submitted with the answers saved by then.")
    )
    return True


@login_required
def attempt_take(request: HttpRequest, pk: int) -> HttpResponse:
    attempt = _learner_attempt(request, pk)
    if _finish_if_overdue(request, attempt):
        return redirect("quizzes:result", pk=attempt.pk)
    slots = list(attempt.slots.all())
    saved = {r.question_id: [str(i) for i in r.selected] for r in attempt.responses.all()}
    initial = {field_name(slot): saved.get(slot.question_id, []) for slot in slots}
    form = AttemptForm(slots=slots, initial=initial)
    return _render_take(request, attempt, form)


def _render_take(
    request: HttpRequest, attempt: Attempt, form: AttemptForm, status: int = 200
) -> HttpResponse:
    questions = [
        {
            "slot": slot,
            "field": form[field_name(slot)],
            "multiple": slot.snapshot["kind"] == "multiple",
        }
        for slot in form.slots
    ]
    remaining = None
    if attempt.deadline is not None:
        remaining = max(0, int((attempt.deadline - timezone.now()).total_seconds()))
    return render(
        request,
        "quizzes/attempt_take.html",
        {"attempt": attempt, "quiz": attempt.quiz, "course": attempt.quiz.course,
         "form": form, "questions": questions, "remaining": remaining},
        status=status,
    )


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


@login_required
@require_POST
def attempt_save(request: HttpRequest, pk: int) -> HttpResponse:
    """Autosave: store the answers of the questions named in `present`, keep the attempt open."""
    attempt = _learner_attempt(request, pk)
    slots = list(attempt.slots.all())
    form = AttemptForm(request.POST, slots=slots)
    if not form.is_valid():
        errors = {name: [str(e) for e in errs] for name, errs in form.errors.items()}
        return JsonResponse({"ok": False, "message": _("Not a valid answer."),
                             "errors": errors}, status=400)
    try:
        saved_at = services.attempt_save(attempt=attempt, answers=form.present_answers())
    except services.AttemptAlreadyFinished:
        return JsonResponse({"ok": False, "message": _("This attempt is already finished.")},
                            status=409)
    except services.AttemptOverdue:
        return JsonResponse({"ok": False, "message": _("Time is up: answers are no longer "
                                                       "accepted.")}, status=409)
    return JsonResponse({"ok": True, "saved_at": saved_at.isoformat()})


@login_required
@require_POST
def attempt_submit(request: HttpRequest, pk: int) -> HttpResponse:
    attempt = _learner_attempt(request, pk)
    if not attempt.is_open:
        messages.warning(
            request, _("This attempt was already submitted. Nothing was changed.")
        )
        return redirect("quizzes:result", pk=attempt.pk)
    slots = list(attempt.slots.all())
    form = AttemptForm(request.POST, slots=slots)
    if not form.is_valid():
        messages.error(
            request, _("Some answers were not valid choices for their question. Check them.")
        )
        return _render_take(request, attempt, form, status=400)
    if request.POST.get("action") == "save":
        try:
            services.attempt_save(attempt=attempt, answers=form.present_answers())
        except (services.AttemptAlreadyFinished, services.AttemptOverdue):
            _finish_if_overdue(request, attempt)
            return redirect("quizzes:result", pk=attempt.pk)
        messages.success(request, _("Your answers are saved. You can come back to them later."))
        return redirect("quizzes:take", pk=attempt.pk)
    try:
        outcome = services.attempt_submit(
            attempt=attempt, slots=slots, answers=form.present_answers()
        )
    except services.AttemptAlreadyFinished:
        messages.warning(
            request, _("This attempt was already submitted. Nothing was changed.")
        )
    else:
        if outcome.late:
            messages.warning(request, _("Time was up: your attempt was submitted with the "
                                        "answers saved before the deadline."))
    return redirect("quizzes:result", pk=attempt.pk)


@login_required
def attempt_result(request: HttpRequest, pk: int) -> HttpResponse:
    attempt = _learner_attempt(request, pk)
    if not _finish_if_overdue(request, attempt):
        return redirect("quizzes:take", pk=attempt.pk)
    quiz = attempt.quiz
    course = quiz.course
    user: Any = request.user
    allowance = selectors.allowance_for(user, quiz)
    review = rules.review(quiz, allowance, timezone.now())
    items = review_items(attempt, review)
    return render(
        request,
        "quizzes/attempt_result.html",
        {"attempt": attempt, "quiz": quiz, "course": course, "items": items,
         "review": review, "allowance": allowance},
    )


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    enrolments = list(
        Enrolment.objects.for_user(request.user)
        .filter(course__is_published=True)
        .select_related("course", "cohort")
        .order_by("course__title")
    )
    courses = [e.course for e in enrolments]
    standings = selectors.learner_standings(request.user, courses)
    progress = course_progress(request.user, courses)
    cards = [
        {
            "course": course,
            "lessons": progress[course.pk].lessons,
            "done": progress[course.pk].completed,
            "percent": progress[course.pk].percent,
            "standing": standings[course.pk],
            "resume": progress[course.pk].resume,
        }
        for course in courses
    ]
    return render(request, "quizzes/dashboard.html", {"cards": cards})
