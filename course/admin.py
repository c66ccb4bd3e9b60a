from django.contrib import admin
from django.db import models
from django.utils.translation import gettext_lazy as _

from .admin_scoping import InstructorScopedMixin, ScopedInline
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


@admin.register(Course)
class CourseAdmin(InstructorScopedMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    course_path = ""
    list_display = ["title", "slug", "is_published", "updated_at"]
    list_filter = ["is_published"]
    search_fields = ["title", "slug", "summary"]
    prepopulated_fields = {"slug": ["title"]}
    filter_horizontal = ["instructors"]
    list_select_related = True

    def get_readonly_fields(self, request, obj=None):  # type: ignore[no-untyped-def]
        # Only a superuser assigns instructors: an instructor cannot add colleagues.
        return [] if request.user.is_superuser else ["instructors"]


class LessonSourceInline(ScopedInline):
    model = LessonSource
    extra = 0
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    fields = ["order", "publisher", "title", "url", "published"]


@admin.register(Lesson)
class LessonAdmin(InstructorScopedMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["title", "course", "order", "is_published", "last_verified"]
    list_filter = ["course", "is_published"]
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
class CohortAdmin(InstructorScopedMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["name", "course"]
    list_filter = ["course"]
    search_fields = ["name"]
    list_select_related = ["course"]


@admin.register(Enrolment)
class EnrolmentAdmin(InstructorScopedMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["user", "course", "cohort", "enrolled_at"]
    list_filter = ["course", "cohort"]
    search_fields = ["user__username", "user__email", "user__first_name", "user__last_name"]
    list_select_related = ["user", "course", "cohort"]
    raw_id_fields = ["user"]


@admin.register(LessonProgress)
class LessonProgressAdmin(InstructorScopedMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    course_path = "lesson__course"
    list_display = ["user", "lesson", "last_viewed_at", "completed_at"]
    list_filter = ["lesson__course"]
    search_fields = ["user__username", "lesson__title"]
    list_select_related = ["user", "lesson"]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(GlossaryTerm)
class GlossaryTermAdmin(InstructorScopedMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["term", "slug", "course"]
    list_filter = ["course"]
    search_fields = ["term", "definition"]
    list_select_related = ["course"]


@admin.register(TimelineEvent)
class TimelineEventAdmin(InstructorScopedMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["date", "title", "tag", "course"]
    list_filter = ["course", "tag"]
    search_fields = ["title", "text"]
    list_select_related = ["course"]
