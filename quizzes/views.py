from __future__ import annotations

import contextlib

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
            "decision": decision,
            "enrolment": decision.enrolled,
            "attempts": decision.attempts,
            "open_attempt": decision.open_attempt,
            "allowance": decision.allowance,
            "refusal": decision.reason,
            "locked_by": decision.locked_by,
            "missing": decision.missing_checkpoints,
            "review": decision.review(),
            "completes_lesson": selectors.lesson_completed_by(quiz) is not None,
            "grade": grade,
            "passed": selectors.grade_passes(quiz, grade),
            "question_count": quiz.questions_per_attempt
            or quiz.questions.filter(is_active=True).count(),
        },
    )


@login_required
def quiz_start_confirm(request: HttpRequest, course_slug: str, slug: str) -> HttpResponse:
    """Before a timed or attempt-limited quiz: the time limit and attempts left, to confirm."""
    quiz = _published_quiz(course_slug, slug)
    decision = selectors.start_decision(request.user, quiz)
    if decision.open_attempt is not None:
        return redirect("quizzes:take", pk=decision.open_attempt.pk)
    return render(
        request,
        "quizzes/quiz_start_confirm.html",
        {"quiz": quiz, "course": quiz.course, "decision": decision,
         "allowance": decision.allowance},
    )


@login_required
@require_POST
def quiz_start(
    request: AuthenticatedHttpRequest, course_slug: str, slug: str
) -> HttpResponse:
    quiz = _published_quiz(course_slug, slug)
    if "confirmed" not in request.POST:
        decision = selectors.start_decision(request.user, quiz)
        if decision.may_start and decision.needs_confirmation:
            return redirect("quizzes:start_confirm", course_slug=course_slug, slug=slug)
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
    states = selectors.question_states(attempt)
    initial = {field_name(st.slot): [str(i) for i in st.selected] for st in states}
    form = AttemptForm(slots=[st.slot for st in states], initial=initial)
    return _render_take(request, attempt, form, states)


def _remaining(attempt: Attempt) -> int | None:
    """Seconds left before the attempt's deadline, or None when it has none."""
    if attempt.deadline is None:
        return None
    return max(0, int((attempt.deadline - timezone.now()).total_seconds()))


def _render_take(
    request: HttpRequest,
    attempt: Attempt,
    form: AttemptForm,
    states: list[selectors.QuestionState],
    status: int = 200,
) -> HttpResponse:
    questions = [
        {
            "slot": st.slot,
            "state": st,
            "field": form[field_name(st.slot)],
            "multiple": st.slot.snapshot["kind"] == "multiple",
        }
        for st in states
    ]
    return render(
        request,
        "quizzes/attempt_take.html",
        {"attempt": attempt, "quiz": attempt.quiz, "course": attempt.quiz.course,
         "form": form, "questions": questions, "remaining": _remaining(attempt)},
        status=status,
    )


@login_required
def attempt_summary(request: HttpRequest, pk: int) -> HttpResponse:
    """Moodle's "Summary of attempt": each question answered or not, flagged or not, the
    time left, and the one button that finishes the attempt."""
    attempt = _learner_attempt(request, pk)
    if _finish_if_overdue(request, attempt):
        return redirect("quizzes:result", pk=attempt.pk)
    states = selectors.question_states(attempt)
    return render(
        request,
        "quizzes/attempt_summary.html",
        {"attempt": attempt, "quiz": attempt.quiz, "course": attempt.quiz.course,
         "states": states, "unanswered": sum(not st.answered for st in states),
         "remaining": _remaining(attempt)},
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
        saved_at = services.attempt_save(attempt=attempt, answers=form.present_answers(),
                                         flags=form.present_flags())
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
    """The attempt form's buttons: "save" keeps the answers and returns to the attempt; any
    other action saves them and goes to the summary; only the summary's "confirm" finishes.
    """
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
        return _render_take(request, attempt, form, selectors.question_states(attempt),
                            status=400)
    action = request.POST.get("action")
    if action != "confirm":
        try:
            services.attempt_save(attempt=attempt, answers=form.present_answers(),
                                  flags=form.present_flags())
        except (services.AttemptAlreadyFinished, services.AttemptOverdue):
            _finish_if_overdue(request, attempt)
            return redirect("quizzes:result", pk=attempt.pk)
        if action != "save":
            return redirect("quizzes:summary", pk=attempt.pk)
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
    allowance, review = selectors.review_for(request.user, quiz)
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
            "progress": progress[course.pk],
            "lessons": progress[course.pk].lessons,
            "done": progress[course.pk].completed,
            "percent": progress[course.pk].percent,
            "standing": standings[course.pk],
            "resume": progress[course.pk].resume,
        }
        for course in courses
    ]
    return render(request, "quizzes/dashboard.html", {"cards": cards})
