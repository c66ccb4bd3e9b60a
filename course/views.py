from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Exists, OuterRef, Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.generic import ListView

from . import services
from .access import course_for, enrolment_for, locked_by
from .models import Course, GlossaryTerm, Lesson, LessonProgress, TimelineEvent
from .rendering import render_markdown


class CatalogueView(ListView):  # type: ignore[type-arg]
    template_name = "course/course_list.html"
    context_object_name = "courses"

    def get_queryset(self) -> Any:
        return Course.objects.published().prefetch_related(
            Prefetch("lessons", queryset=Lesson.objects.published())
        )


def lessons_with_completion(
    course: Course, user: Any, *, include_unpublished: bool = False
) -> list[Lesson]:
    """The course's lessons in order (published ones, unless the viewer teaches it), each
    with `done` for this user, in one query plus one for their quizzes.
    """
    done = LessonProgress.objects.filter(
        lesson=OuterRef("pk"), user_id=user.pk or 0, completed_at__isnull=False
    )
    lessons = Lesson.objects.filter(course=course)
    if not include_unpublished:
        lessons = lessons.published()
    found = list(
        lessons.prefetch_related("quizzes").annotate(done=Exists(done)).order_by("order", "pk")
    )
    for lesson in found:
        lesson.course = course
    return found


def course_detail(request: HttpRequest, slug: str) -> HttpResponse:
    course: Any = course_for(request.user, slug)
    if course is None or not course.is_published:
        raise Http404(_("No such course."))
    lessons = lessons_with_completion(course, request.user)
    completed = len([lesson for lesson in lessons if lesson.done])  # type: ignore[attr-defined]
    next_lesson = next((lesson for lesson in lessons if not lesson.done), None)  # type: ignore[attr-defined]
    return render(
        request,
        "course/course_detail.html",
        {
            "course": course,
            "lessons": lessons,
            "enrolment": course.enrolled,
            "teaches": course.teaches,
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
    course: Any = course_for(request.user, course_slug)
    if course is None:
        raise Http404(_("No such course."))
    # Instructors also see unpublished lessons, to preview them as learners will.
    lessons = lessons_with_completion(course, request.user, include_unpublished=course.teaches)
    index = next((i for i, lesson in enumerate(lessons) if lesson.slug == slug), None)
    if index is None:
        raise Http404(_("No such lesson in this course."))
    if not course.enrolled and not course.teaches:
        messages.info(request, _("Enrol in the course to read its lessons."))
        return redirect(course)
    lesson = lessons[index]
    previous = lessons[index - 1] if index > 0 else None
    if lesson.requires_previous and previous is not None and not previous.done:  # type: ignore[attr-defined]
        return render(
            request,
            "course/lesson_locked.html",
            {"course": course, "lesson": lesson, "previous": previous},
            status=403,
        )
    if course.enrolled:
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
