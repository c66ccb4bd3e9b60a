from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext_lazy as _

from .admin_scoping import InstructorScopedMixin, RelatedOnly, ScopedInline
from .enrolment_import import CSV_NOT_UTF8, EnrolmentImportError, enrolment_import
from .models import (
    Cohort,
    Course,
    Enrolment,
    GlossaryTerm,
    Lesson,
    LessonProgress,
    LessonSource,
    TimelineEvent,
)
from .uploads import shown_problems, upload_text


class EnrolmentUploadForm(forms.Form):
    """A CSV of learners to enrol; `cleaned_data["file"]` holds its text."""

    file = forms.FileField(
        label=_("CSV file"),
        help_text=_(
            "UTF-8, comma-separated, with a header row: “username” and/or “email”, and "
            "optionally “cohort”. At most 1 MB."
        ),
    )

    def clean_file(self) -> str:
        return upload_text(self.cleaned_data["file"], not_utf8=CSV_NOT_UTF8)


@admin.register(Course)
class CourseAdmin(InstructorScopedMixin, admin.ModelAdmin[Course]):
    course_path = ""
    list_display = ["title", "slug", "is_published", "updated_at"]
    list_filter = ["is_published"]
    search_fields = ["title", "slug", "summary"]
    prepopulated_fields = {"slug": ["title"]}
    filter_horizontal = ["instructors"]
    list_select_related = True

    def get_readonly_fields(self, request: HttpRequest, obj: Course | None = None) -> list[str]:
        # Only a superuser assigns instructors: an instructor cannot add colleagues.
        return [] if request.user.is_superuser else ["instructors"]

    def get_urls(self) -> list[URLPattern]:
        return [
            path(
                "<path:object_id>/enrol-learners/",
                self.admin_site.admin_view(self.enrol_learners_view),
                name="course_course_enrol_learners",
            ),
            *super().get_urls(),
        ]

    def enrol_learners_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Upload a CSV of learners; all are enrolled, or none and every bad line listed."""
        course = self.get_object(request, unquote(object_id))  # scoped to the instructor
        if course is None:
            raise Http404(_("No such course."))
        if not request.user.has_perm("course.change_enrolment"):
            raise PermissionDenied
        posted = request.method == "POST"
        form = EnrolmentUploadForm(request.POST, request.FILES) if posted else EnrolmentUploadForm()
        refused: EnrolmentImportError | None = None
        if posted and form.is_valid():
            try:
                report = enrolment_import(
                    course=course, text=form.cleaned_data["file"],
                    learners_only=not request.user.is_superuser,
                )
            except EnrolmentImportError as exc:
                refused = exc
            else:
                self.message_user(request, report.summary(), messages.SUCCESS)
                return HttpResponseRedirect(reverse("admin:course_course_change",
                                                    args=[course.pk]))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "course": course,
            "form": form,
            # The first problems only, and a count of the rest: a page listing 20,000
            # lines helps nobody and takes long to render.
            "problems": shown_problems(refused.problems) if refused else [],
            "problem_count": len(refused.problems) if refused else 0,
            "title": _("Enrol learners from CSV"),
        }
        status = 400 if posted else 200
        return TemplateResponse(
            request, "admin/course/course/enrol_learners.html", context, status=status
        )


class LessonSourceInline(ScopedInline[LessonSource, Lesson]):
    model = LessonSource
    extra = 0
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    fields = ["order", "publisher", "title", "url", "published"]


@admin.register(Lesson)
class LessonAdmin(InstructorScopedMixin, admin.ModelAdmin[Lesson]):
    list_display = ["title", "course", "order", "is_published", "last_verified"]
    list_filter = [("course", RelatedOnly), "is_published"]
    search_fields = ["title", "slug", "body"]
    list_select_related = ["course"]
    prepopulated_fields = {"slug": ["title"]}
    ordering = ["course", "order"]
    inlines = [LessonSourceInline]
    fieldsets = [
        (None, {"fields": ["course", "title", "slug", "order", "summary", "is_published"]}),
        (_("Learning"), {"fields": ["objectives", "estimated_minutes", "requires_previous"]}),
        (
            _("Content"),
            {
                "fields": ["body", "last_verified"],
                "description": _(
                    "Markdown: **bold**, *italic*, [link](https://…), lists with “-”, "
                    "tables with “|”. Headings “## Title {#anchor}” become linkable "
                    "sections; questions point at these anchors. Raw HTML is removed."
                ),
            },
        ),
    ]


@admin.register(Cohort)
class CohortAdmin(InstructorScopedMixin, admin.ModelAdmin[Cohort]):
    list_display = ["name", "course"]
    list_filter = [("course", RelatedOnly)]
    search_fields = ["name"]
    list_select_related = ["course"]


@admin.register(Enrolment)
class EnrolmentAdmin(InstructorScopedMixin, admin.ModelAdmin[Enrolment]):
    list_display = ["user", "course", "cohort", "enrolled_at"]
    list_filter = [("course", RelatedOnly), ("cohort", RelatedOnly)]
    search_fields = ["user__username", "user__email", "user__first_name", "user__last_name"]
    list_select_related = ["user", "course", "cohort"]
    raw_id_fields = ["user"]

    def get_readonly_fields(self, request: HttpRequest, obj: Enrolment | None = None
                            ) -> list[str]:
        # Only a superuser picks the account: a raw id widget would name any account.
        return [] if request.user.is_superuser else ["user", "course"]


@admin.register(LessonProgress)
class LessonProgressAdmin(InstructorScopedMixin, admin.ModelAdmin[LessonProgress]):
    course_path = "lesson__course"
    list_display = ["user", "lesson", "last_viewed_at", "completed_at"]
    list_filter = [("lesson__course", RelatedOnly)]
    search_fields = ["user__username", "lesson__title"]
    list_select_related = ["user", "lesson"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: LessonProgress | None = None
                              ) -> bool:
        return False


@admin.register(GlossaryTerm)
class GlossaryTermAdmin(InstructorScopedMixin, admin.ModelAdmin[GlossaryTerm]):
    list_display = ["term", "slug", "course"]
    list_filter = [("course", RelatedOnly)]
    search_fields = ["term", "definition"]
    list_select_related = ["course"]


@admin.register(TimelineEvent)
class TimelineEventAdmin(InstructorScopedMixin, admin.ModelAdmin[TimelineEvent]):
    list_display = ["date", "title", "tag", "course"]
    list_filter = [("course", RelatedOnly), "tag"]
    search_fields = ["title", "text"]
    list_select_related = ["course"]
