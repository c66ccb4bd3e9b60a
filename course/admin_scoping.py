"""Admin querysets scoped to the courses an instructor teaches.

A superuser sees everything; any other staff member sees only rows whose course lists
them as an instructor, and may only pick such courses, lessons and quizzes in forms.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db.models import Model, QuerySet
from django.http import HttpRequest

from .models import Course, Lesson

if TYPE_CHECKING:
    # What the mixin is always combined with (a ModelAdmin or an inline), so its super()
    # calls type-check.
    from django.contrib.admin.options import BaseModelAdmin

    _AdminBase = BaseModelAdmin[Any]
else:
    _AdminBase = object

_ChildT = TypeVar("_ChildT", bound=Model)
_ParentT = TypeVar("_ParentT", bound=Model)


class InstructorScopedMixin(_AdminBase):
    #: Lookup from this admin's model to its Course ("" when the model is Course).
    course_path = "course"

    def scope(self, request: HttpRequest, qs: QuerySet[Any], path: str) -> QuerySet[Any]:
        if request.user.is_superuser:
            return qs
        lookup = f"{path}__instructors" if path else "instructors"
        return qs.filter(**{lookup: request.user}).distinct()

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        qs = super().get_queryset(request)
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
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class ScopedInline(InstructorScopedMixin, admin.TabularInline[_ChildT, _ParentT]):
    """Inlines scope their foreign-key choices; their rows come from a scoped parent.

    `ScopedInline[Choice, Question]`: the inline's model, then its parent's.
    """

    def get_queryset(self, request: HttpRequest) -> QuerySet[_ChildT]:
        return admin.TabularInline.get_queryset(self, request)



class RelatedOnly(admin.RelatedOnlyFieldListFilter):
    """A related-field filter listing only values in the admin's scoped queryset, so an
    instructor's filters never show another course, quiz or cohort.
    """
