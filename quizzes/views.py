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

from course.access import enrolment_for, locked_by
from course.models import Enrolment, Lesson, LessonProgress

from . import rules, scoring, services
from .forms import AttemptForm, field_name
from .models import Attempt, Quiz
from .review import review_items
from .selectors import learner_standings


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
    user: Any = request.user
    now = timezone.now()
    attempts = list(Attempt.objects.for_user(user).filter(quiz=quiz).order_by("number"))
    allowance = rules.allowance(quiz, services.override_for(user, quiz))
    missing = services.missing_checkpoints(user, quiz)
    marks = [a.percentage for a in attempts if not a.is_open and a.percentage is not None]
    grade = scoring.quiz_grade(quiz.grading_method, marks)
    return render(
        request,
        "quizzes/quiz_detail.html",
        {
            "quiz": quiz,
            "course": quiz.course,
            "enrolment": enrolment_for(user, quiz.course),
            "attempts": attempts,
            "open_attempt": next((a for a in attempts if a.is_open), None),
            "allowance": allowance,
            "refusal": rules.start_refusal(quiz, allowance, attempts, now, missing),
            "missing": missing,
            "review": rules.review(quiz, allowance, now),
            "grade": grade,
            "passed": grade is not None and scoring.has_passed(grade, quiz.pass_mark),
            "question_count": quiz.questions_per_attempt
            or quiz.questions.filter(is_active=True).count(),
        },
    )


@login_required
@require_POST
def quiz_start(request: HttpRequest, course_slug: str, slug: str) -> HttpResponse:
    quiz = _published_quiz(course_slug, slug)
    if enrolment_for(request.user, quiz.course) is None:
        messages.error(request, _("Enrol in the course before taking its quizzes."))
        return redirect(quiz.course)
    previous = locked_by(request.user, quiz.lesson) if quiz.lesson else None
    if previous is not None:
        messages.error(request, _("Complete “%(title)s” first.") % {"title": previous.title})
        return redirect(previous)
    try:
        attempt = services.attempt_start(user=request.user, quiz=quiz)  # type: ignore[arg-type]
    except services.AttemptNotAllowed as refusal:
        messages.error(request, str(refusal))
        return redirect(quiz)
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
    allowance = rules.allowance(quiz, services.override_for(user, quiz))
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
    standings = learner_standings(request.user, courses)
    lessons = list(
        Lesson.objects.published()
        .filter(course__in=courses)
        .select_related("course")
        .order_by("order", "pk")
    )
    progress = {
        p.lesson_id: p
        for p in LessonProgress.objects.filter(user_id=request.user.pk or 0, lesson__in=lessons)
    }
    cards = []
    for course in courses:
        course_lessons = [lesson for lesson in lessons if lesson.course_id == course.pk]
        done = [lesson for lesson in course_lessons if _completed(progress, lesson)]
        viewed = [
            (p.last_viewed_at, lesson)
            for lesson in course_lessons
            if (p := progress.get(lesson.pk)) is not None and p.last_viewed_at
        ]
        last_viewed = max(viewed, key=lambda item: item[0])[1] if viewed else None
        resume = (
            last_viewed
            if last_viewed is not None and not _completed(progress, last_viewed)
            else next((lesson for lesson in course_lessons if lesson not in done), None)
        )
        cards.append(
            {
                "course": course,
                "lessons": course_lessons,
                "done": len(done),
                "percent": round(100 * len(done) / len(course_lessons)) if course_lessons else 0,
                "standing": standings[course.pk],
                "resume": resume,
            }
        )
    return render(request, "quizzes/dashboard.html", {"cards": cards})


def _completed(progress: dict[int, LessonProgress], lesson: Lesson) -> bool:
    record = progress.get(lesson.pk)
    return record is not None and record.completed_at is not None
