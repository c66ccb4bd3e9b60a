"""Admin querysets scoped to the courses an instructor teaches.

A superuser sees everything; any other staff member sees only rows whose course lists
them as an instructor, and may only pick such courses, lessons and quizzes in forms.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.http import HttpRequest

from .models import Course, Lesson


class InstructorScopedMixin:
    #: Lookup from this admin's model to its Course ("" when the model is Course).
    course_path = "course"

    def scope(self, request: HttpRequest, qs: QuerySet[Any], path: str) -> QuerySet[Any]:
        if request.user.is_superuser:
            return qs
        lookup = f"{path}__instructors" if path else "instructors"
        return qs.filter(**{lookup: request.user}).distinct()

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        qs = super().get_queryset(request)  # type: ignore[misc]
        return self.scope(request, qs, self.course_path)

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        related = db_field.related_model
        if db_field.name == "user" and related is get_user_model():
            # Learners of the courses this instructor teaches, not every account.
            kwargs["queryset"] = self.scope(
                request,
                # distinct: the join yields a learner once per enrolment, and a choice
                # listed twice makes the form's lookup of it fail (MultipleObjectsReturned).
                related.objects.filter(enrolments__isnull=False).distinct().order_by("username"),
                "enrolments__course",
            )
        elif related is Course:
            kwargs["queryset"] = self.scope(request, Course.objects.all(), "")
        elif related is Lesson:
            kwargs["queryset"] = self.scope(
                request, Lesson.objects.select_related("course"), "course"
            )
        elif related is not None and hasattr(related, "course"):
            kwargs["queryset"] = self.scope(request, related._default_manager.all(), "course")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)  # type: ignore[misc]


class ScopedInline(InstructorScopedMixin, admin.TabularInline):  # type: ignore[type-arg]
    """Inlines scope their foreign-key choices; their rows come from a scoped parent."""

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return admin.TabularInline.get_queryset(self, request)



class RelatedOnly(admin.RelatedOnlyFieldListFilter):
    """A related-field filter listing only values in the admin's scoped queryset, so an
    instructor's filters never show another course, quiz or cohort.
    """
