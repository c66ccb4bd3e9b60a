from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from course.admin_scoping import InstructorScopedMixin, ScopedInline

from . import scoring
from .models import Attempt, AttemptQuestion, Choice, Question, Quiz, Response


def _spec(form: forms.ModelForm) -> scoring.ChoiceSpec:  # type: ignore[type-arg]
    data = form.cleaned_data
    return scoring.ChoiceSpec(id=id(form), is_correct=bool(data.get("is_correct")),
                              credit=data.get("credit"))


class ChoiceFormSet(forms.BaseInlineFormSet):  # type: ignore[type-arg]
    """Refuses a set of choices with which the question cannot be answered right."""

    def clean(self) -> None:
        super().clean()
        if any(self.errors):
            return
        kept = [
            form for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]
        problems = scoring.question_problems(self.instance.kind, [_spec(f) for f in kept])
        if problems:
            raise ValidationError(
                [ValidationError(p[:1].upper() + p[1:] + ".", code="unanswerable")
                 for p in problems]
            )


class ChoiceInline(ScopedInline):
    model = Choice
    formset = ChoiceFormSet
    extra = 0
    min_num = 2
    fields = ["order", "text", "is_correct", "credit", "feedback"]


class QuestionInline(ScopedInline):
    model = Question
    extra = 0
    fields = ["order", "key", "kind", "text", "points", "is_active", "edit_link"]
    readonly_fields = ["edit_link"]
    show_change_link = True

    @admin.display(description=_("Choices"))
    def edit_link(self, obj: Question) -> str:
        if not obj.pk:
            return "–"
        url = reverse("admin:quizzes_question_change", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, _("Edit choices"))


class QuizAdminForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = Quiz
        fields = [
            "course", "lesson", "slug", "title", "description", "order", "pass_mark",
            "weight", "grading_method", "is_published", "last_verified",
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        course = data.get("course")
        lesson = data.get("lesson")
        if course and lesson and lesson.course_id != course.pk:
            self.add_error("lesson", _("Choose a lesson of the same course."))
        if data.get("is_published") and self.instance.pk:
            problems = quiz_problems(self.instance)
            if problems:
                raise ValidationError(
                    [_("This quiz cannot be published yet:"), *problems], code="unpublishable"
                )
        return data


def quiz_problems(quiz: Quiz) -> list[str]:
    """Messages for every active question of the quiz that cannot be answered right."""
    questions = list(quiz.questions.filter(is_active=True).prefetch_related("choices"))
    if not questions:
        return [str(_("it has no active question."))]
    messages = []
    for question in questions:
        specs = [scoring.ChoiceSpec(c.pk, c.is_correct, c.credit) for c in question.choices.all()]
        for problem in scoring.question_problems(question.kind, specs):
            messages.append(f"“{question.key}”: {problem}.")
    return messages


@admin.register(Quiz)
class QuizAdmin(InstructorScopedMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    form = QuizAdminForm
    list_display = ["title", "course", "lesson", "pass_mark", "weight", "grading_method",
                    "is_published"]
    list_filter = ["course", "is_published", "grading_method"]
    search_fields = ["title", "slug"]
    list_select_related = ["course", "lesson"]
    prepopulated_fields = {"slug": ["title"]}
    inlines = [QuestionInline]


@admin.register(Question)
class QuestionAdmin(InstructorScopedMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    course_path = "quiz__course"
    list_display = ["key", "quiz", "kind", "points", "is_active"]
    list_filter = ["quiz__course", "quiz", "kind", "is_active"]
    search_fields = ["key", "text", "explanation"]
    list_select_related = ["quiz"]
    inlines = [ChoiceInline]
    fieldsets = [
        (None, {"fields": ["quiz", "key", "order", "kind", "text", "points", "is_active"]}),
        (_("Feedback"), {"fields": ["explanation", "lesson", "section_anchor"]}),
        (_("Scoring"), {"fields": ["all_or_nothing"]}),
    ]


class ReadOnlyAdmin(InstructorScopedMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    """Attempts are records, not content: nobody edits them by hand."""

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return bool(request.user.is_superuser)


class AttemptQuestionInline(admin.TabularInline):  # type: ignore[type-arg]
    model = AttemptQuestion
    extra = 0
    fields = ["position", "question", "snapshot"]
    readonly_fields = ["position", "question", "snapshot"]
    can_delete = False

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False


class ResponseInline(AttemptQuestionInline):
    model = Response  # type: ignore[assignment]
    fields = ["question", "selected", "fraction", "answered_at"]
    readonly_fields = ["question", "selected", "fraction", "answered_at"]


@admin.register(Attempt)
class AttemptAdmin(ReadOnlyAdmin):
    course_path = "quiz__course"
    list_display = ["user", "quiz", "number", "state", "percentage", "passed", "finished_at"]
    list_filter = ["quiz__course", "quiz", "state", "passed"]
    search_fields = ["user__username", "user__email", "quiz__title"]
    list_select_related = ["user", "quiz"]
    inlines = [AttemptQuestionInline, ResponseInline]
