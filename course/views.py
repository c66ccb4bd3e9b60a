from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.generic import ListView

from . import selectors, services
from .http import AuthenticatedHttpRequest
from .models import Course, GlossaryTerm, Lesson, TimelineEvent
from .rendering import render_markdown


class CatalogueView(ListView[Course]):
    template_name = "course/course_list.html"
    context_object_name = "courses"

    def get_queryset(self) -> QuerySet[Course]:
        return Course.objects.published().prefetch_related(
            Prefetch("lessons", queryset=Lesson.objects.published())
        )


def course_detail(request: HttpRequest, slug: str) -> HttpResponse:
    access = selectors.course_access(request.user, slug)
    if access is None:
        raise Http404(_("No such course."))
    course = access.course
    progress = selectors.course_lessons(access, request.user)
    return render(
        request,
        "course/course_detail.html",
        {
            "course": course,
            "lessons": progress.lessons,
            "rows": selectors.lesson_rows(access, progress),
            "enrolment": access.enrolled,
            "teaches": access.teaches,
            "completed": progress.completed,
            "percent": progress.percent,
            "next_lesson": progress.next_lesson,
            "description": render_markdown(course.description).html,
            "final_quizzes": course.quizzes.filter(
                is_published=True, lesson__isnull=True
            ),
        },
    )


@login_required
@require_POST
def enrol(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    course = get_object_or_404(Course.objects.published(), slug=slug)
    services.enrolment_create(user=request.user, course=course)
    messages.success(request, _("You are enrolled in “%(course)s”.") % {"course": course.title})
    return redirect(course)


@login_required
def lesson_detail(
    request: AuthenticatedHttpRequest, course_slug: str, slug: str
) -> HttpResponse:
    access = selectors.course_access(request.user, course_slug)
    if access is None:
        raise Http404(_("No such course."))
    # Instructors also see unpublished lessons, to preview them as learners will.
    progress = selectors.course_lessons(
        access, request.user, include_unpublished=access.teaches
    )
    lessons = progress.lessons
    lesson = next((lesson for lesson in lessons if lesson.slug == slug), None)
    if lesson is None:
        raise Http404(_("No such lesson in this course."))
    if not access.may_read_lessons:
        messages.info(request, _("Enrol in the course to read its lessons."))
        return redirect(access.course)
    index = lessons.index(lesson)
    previous = lessons[index - 1] if index > 0 else None
    blocker = selectors.lesson_gate(access, progress, lesson)
    if blocker is not None:
        return _locked_lesson(request, progress, lesson, blocker)
    if access.enrolled:
        services.lesson_record_view(user=request.user, lesson=lesson)
    glossary_url = reverse("course:glossary", kwargs={"slug": access.course.slug})
    return render(
        request,
        "course/lesson_detail.html",
        {
            "course": access.course,
            "lesson": lesson,
            "rendered": render_markdown(lesson.body, glossary_url),
            "sources": lesson.sources.all(),
            "quizzes": [q for q in lesson.quizzes.all() if q.is_published],
            "done_by_checkpoint": progress.is_done_by_checkpoint(lesson),
            "previous": previous,
            "next": lessons[index + 1] if index + 1 < len(lessons) else None,
            "position": index + 1,
            "total": len(lessons),
        },
    )


def _locked_lesson(
    request: HttpRequest, progress: selectors.CourseProgress, lesson: Lesson, blocker: Lesson
) -> HttpResponse:
    """A 403 in the site's layout: which lesson opens this one, and the lesson open now."""
    positions = {item.pk: index for index, item in enumerate(progress.lessons, start=1)}
    next_open = progress.next_lesson
    return render(
        request,
        "course/lesson_locked.html",
        {"course": lesson.course, "lesson": lesson, "previous": blocker,
         "previous_position": positions[blocker.pk], "next_open": next_open,
         "next_position": positions.get(next_open.pk) if next_open is not None else None},
        status=403,
    )


@login_required
@require_POST
def lesson_complete(
    request: AuthenticatedHttpRequest, course_slug: str, slug: str
) -> HttpResponse:
    lesson = get_object_or_404(
        Lesson.objects.published().select_related("course"),
        course__slug=course_slug,
        course__is_published=True,
        slug=slug,
    )
    if selectors.enrolment_for(request.user, lesson.course) is None:
        messages.error(request, _("Enrol in the course before marking lessons complete."))
        return redirect(lesson.course)
    previous = selectors.locked_by(request.user, lesson)
    if previous is not None:
        messages.error(request, _("Complete “%(title)s” first.") % {"title": previous.title})
        return redirect(previous)
    services.lesson_mark_complete(user=request.user, lesson=lesson)
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
