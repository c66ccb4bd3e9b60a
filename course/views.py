from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.db.models import Exists, OuterRef, Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.generic import ListView

from . import services
from .access import can_teach, enrolment_for, locked_by
from .forms import SignupForm
from .models import Course, GlossaryTerm, Lesson, LessonProgress, TimelineEvent
from .rendering import render_markdown


class CatalogueView(ListView):  # type: ignore[type-arg]
    template_name = "course/course_list.html"
    context_object_name = "courses"

    def get_queryset(self) -> Any:
        return Course.objects.published().prefetch_related(
            Prefetch("lessons", queryset=Lesson.objects.published())
        )


def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("quizzes:dashboard")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, _("Welcome! Your account is ready."))
        return redirect("course:catalogue")
    return render(request, "registration/signup.html", {"form": form})


def lessons_with_completion(course_slug: str, user: Any) -> list[Lesson]:
    """The course's published lessons in order, each with `done` for this user, in one query."""
    done = LessonProgress.objects.filter(
        lesson=OuterRef("pk"), user_id=user.pk or 0, completed_at__isnull=False
    )
    return list(
        Lesson.objects.published()
        .filter(course__slug=course_slug, course__is_published=True)
        .select_related("course")
        .prefetch_related("quizzes")
        .annotate(done=Exists(done))
        .order_by("order", "pk")
    )


def course_detail(request: HttpRequest, slug: str) -> HttpResponse:
    course = get_object_or_404(Course.objects.published(), slug=slug)
    lessons = lessons_with_completion(slug, request.user)
    enrolment = enrolment_for(request.user, course)
    completed = len([lesson for lesson in lessons if lesson.done])  # type: ignore[attr-defined]
    next_lesson = next((lesson for lesson in lessons if not lesson.done), None)  # type: ignore[attr-defined]
    return render(
        request,
        "course/course_detail.html",
        {
            "course": course,
            "lessons": lessons,
            "enrolment": enrolment,
            "teaches": can_teach(request.user, course),
            "completed": completed,
            "percent": round(100 * completed / len(lessons)) if lessons else 0,
            "next_lesson": next_lesson,
            "description": render_markdown(course.description).html,
            "final_quizzes": course.quizzes.filter(  # type: ignore[attr-defined]
                is_published=True, lesson__isnull=True
            ),
        },
    )


@login_required
@require_POST
def enrol(request: HttpRequest, slug: str) -> HttpResponse:
    course = get_object_or_404(Course.objects.published(), slug=slug)
    services.enrolment_create(user=request.user, course=course)  # type: ignore[arg-type]
    messages.success(request, _("You are enrolled in “%(course)s”.") % {"course": course.title})
    return redirect(course)


@login_required
def lesson_detail(request: HttpRequest, course_slug: str, slug: str) -> HttpResponse:
    lessons = lessons_with_completion(course_slug, request.user)
    index = next((i for i, lesson in enumerate(lessons) if lesson.slug == slug), None)
    if index is None:
        raise Http404(_("No such lesson in this course."))
    lesson = lessons[index]
    course = lesson.course
    if enrolment_for(request.user, course) is None and not can_teach(request.user, course):
        messages.info(request, _("Enrol in the course to read its lessons."))
        return redirect(course)
    previous = lessons[index - 1] if index > 0 else None
    if lesson.requires_previous and previous is not None and not previous.done:  # type: ignore[attr-defined]
        return render(
            request,
            "course/lesson_locked.html",
            {"course": course, "lesson": lesson, "previous": previous},
            status=403,
        )
    services.lesson_record_view(user=request.user, lesson=lesson)  # type: ignore[arg-type]
    glossary_url = reverse("course:glossary", kwargs={"slug": course.slug})
    return render(
        request,
        "course/lesson_detail.html",
        {
            "course": course,
            "lesson": lesson,
            "rendered": render_markdown(lesson.body, glossary_url),
            "sources": lesson.sources.all(),
            "quizzes": [q for q in lesson.quizzes.all() if q.is_published],  # type: ignore[attr-defined]
            "previous": previous,
            "next": lessons[index + 1] if index + 1 < len(lessons) else None,
            "position": index + 1,
            "total": len(lessons),
        },
    )


@login_required
@require_POST
def lesson_complete(request: HttpRequest, course_slug: str, slug: str) -> HttpResponse:
    lesson = get_object_or_404(
        Lesson.objects.published().select_related("course"),
        course__slug=course_slug,
        course__is_published=True,
        slug=slug,
    )
    if enrolment_for(request.user, lesson.course) is None:
        messages.error(request, _("Enrol in the course before marking lessons complete."))
        return redirect(lesson.course)
    previous = locked_by(request.user, lesson)
    if previous is not None:
        messages.error(request, _("Complete “%(title)s” first.") % {"title": previous.title})
        return redirect(previous)
    services.lesson_mark_complete(user=request.user, lesson=lesson)  # type: ignore[arg-type]
    messages.success(request, _("“%(lesson)s” is marked complete.") % {"lesson": lesson.title})
    return redirect(lesson)


def glossary(request: HttpRequest, slug: str) -> HttpResponse:
    course = get_object_or_404(Course.objects.published(), slug=slug)
    terms = GlossaryTerm.objects.filter(course=course).order_by("term")
    return render(request, "course/glossary.html", {"course": course, "terms": terms})


def timeline(request: HttpRequest, slug: str) -> HttpResponse:
    course = get_object_or_404(Course.objects.published(), slug=slug)
    events = TimelineEvent.objects.filter(course=course).select_related("lesson__course")
    return render(request, "course/timeline.html", {"course": course, "events": events})
