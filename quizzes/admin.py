from __future__ import annotations

from typing import Any, TypeVar

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import Count, Model, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpRequest, QueryDict
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from course.admin_scoping import InstructorScopedMixin, RelatedOnly, ScopedInline

from . import limits, scoring, services
from . import regrade as regrading
from .models import (
    Attempt,
    AttemptQuestion,
    Choice,
    Question,
    Quiz,
    QuizOverride,
    RegradeChange,
    RegradeRun,
    Response,
)
from .validation import quiz_problems

_ModelT = TypeVar("_ModelT", bound=Model)
_ChildT = TypeVar("_ChildT", bound=Model)
_ParentT = TypeVar("_ParentT", bound=Model)


def _spec(form: forms.ModelForm[Choice]) -> scoring.ChoiceSpec:
    data = form.cleaned_data
    return scoring.ChoiceSpec(id=id(form), is_correct=bool(data.get("is_correct")),
                              credit=data.get("credit"))


class ChoiceFormSet(forms.BaseInlineFormSet[Choice, Question, forms.ModelForm[Choice]]):
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


class ChoiceInline(ScopedInline[Choice, Question]):
    model = Choice
    formset = ChoiceFormSet
    extra = 0
    min_num = 2
    fields = ["order", "text", "is_correct", "credit", "feedback"]


class QuestionFormSet(forms.BaseInlineFormSet[Question, Quiz, forms.ModelForm[Question]]):
    """Keeps a quiz within `limits.max_questions()`, and a published quiz answerable, while
    its questions are edited inline.

    A new question has no choices yet and a changed kind may not fit the stored choices,
    so neither is allowed while the quiz is (being) published; nor is leaving it with no
    active question.
    """

    def clean(self) -> None:
        super().clean()
        if any(self.errors):
            return
        self._check_room()
        if not self.instance.is_published:
            return
        problems: list[str] = []
        active: set[int] = set()
        if self.instance.pk:
            stored = self.instance.questions.filter(is_active=True)
            active = set(stored.values_list("pk", flat=True))
        for form in self.forms:
            data = form.cleaned_data
            question = form.instance
            if data and question.pk and (data.get("DELETE") or not data.get("is_active")):
                active.discard(question.pk)
            if not data or data.get("DELETE"):
                continue
            if not question.pk:
                problems.append(str(_(
                    "A new question has no choices yet, so the quiz cannot stay published: "
                    "unpublish it, add the question and its choices, then publish again."
                )))
                continue
            if data.get("is_active"):
                active.add(question.pk)
            if "kind" in form.changed_data:
                specs = [scoring.ChoiceSpec(c.pk, c.is_correct, c.credit)
                         for c in question.choices.all()]
                problems += [f"“{question.key}”: {p}." for p in
                             scoring.question_problems(data["kind"], specs)]
        if not active and not problems:
            problems.append(str(_("A published quiz needs at least one active question.")))
        if problems:
            raise ValidationError(problems, code="unpublishable")

    def _check_room(self) -> None:
        def kept(form: forms.ModelForm[Question]) -> bool:
            return bool(form.cleaned_data) and not form.cleaned_data.get("DELETE")

        adding = sum(1 for form in self.extra_forms if kept(form))
        deleted = sum(1 for form in self.initial_forms if not kept(form))
        stored = self.instance.questions.count() if self.instance.pk else 0
        problem = limits.quiz_room_problem(current=stored - deleted, adding=adding)
        if problem:
            raise ValidationError(limits.capitalised(problem), code="too_many_questions")


class QuestionInline(ScopedInline[Question, Quiz]):
    model = Question
    formset = QuestionFormSet
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


class QuizAdminForm(forms.ModelForm[Quiz]):
    class Meta:
        model = Quiz
        fields = [
            "course", "lesson", "slug", "title", "description", "order", "is_published",
            "last_verified", "pass_mark", "weight", "grading_method", "attempts_allowed",
            "attempt_delay_minutes", "time_limit_minutes", "opens_at", "closes_at",
            "questions_per_attempt", "shuffle_questions", "shuffle_choices", "review_score",
            "review_answers", "review_feedback", "requires_checkpoints_passed",
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        course = data.get("course")
        lesson = data.get("lesson")
        if course and lesson and lesson.course_id != course.pk:
            self.add_error("lesson", _("Choose a lesson of the same course."))
        if data.get("is_published") and not self.instance.pk:
            raise ValidationError(
                _("Save the quiz unpublished first, add its questions and their choices, "
                  "then publish it."),
                code="unpublishable",
            )
        if data.get("is_published") and self.instance.pk:
            problems = quiz_problems(self.instance)
            if problems:
                raise ValidationError(
                    [_("This quiz cannot be published yet:"), *problems], code="unpublishable"
                )
        return data


@admin.register(Quiz)
class QuizAdmin(InstructorScopedMixin, admin.ModelAdmin[Quiz]):
    form = QuizAdminForm
    list_display = ["title", "course", "lesson", "questions", "pass_mark", "weight",
                    "grading_method", "is_published"]
    list_filter = [("course", RelatedOnly), "is_published", "grading_method"]
    search_fields = ["title", "slug"]
    list_select_related = ["course", "lesson"]
    prepopulated_fields = {"slug": ["title"]}
    # Overrides have their own page (one click from the gradebook's learner page): as an
    # inline each row would render a select of every learner.
    inlines = [QuestionInline]
    #: Beyond this many questions the change page shows a link to the quiz's question list
    #: instead of the inline: hundreds of inline rows are slow to render, hard to use, and
    #: past about 240 rows exceed DATA_UPLOAD_MAX_NUMBER_FIELDS (8 fields a row), so the
    #: page could not even be saved. 50 keeps every shipped quiz (8 and 27) inline.
    max_inline_questions = 50
    readonly_fields = ["question_list"]
    actions = ["regrade_dry_run", "regrade"]
    fieldsets = [
        (None, {"fields": ["course", "lesson", "slug", "title", "description", "order",
                           "is_published", "last_verified"]}),
        (_("Grading"), {"fields": ["pass_mark", "weight", "grading_method"]}),
        (_("Timing and attempts"), {"fields": ["opens_at", "closes_at", "time_limit_minutes",
                                               "attempts_allowed", "attempt_delay_minutes",
                                               "requires_checkpoints_passed"]}),
        (_("Questions"), {"fields": ["question_list", "questions_per_attempt",
                                     "shuffle_questions", "shuffle_choices"]}),
        (_("Review options"), {
            "fields": ["review_score", "review_answers", "review_feedback"],
            "description": _("“Only after the quiz closes” never shows anything when the "
                             "quiz has no close date."),
        }),
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Quiz]:
        counts = (Question.objects.filter(quiz=OuterRef("pk")).order_by().values("quiz")
                  .annotate(n=Count("pk")).values("n"))
        return super().get_queryset(request).annotate(
            question_total=Coalesce(Subquery(counts), 0)
        )

    @staticmethod
    def _question_total(quiz: Quiz) -> int:
        total = getattr(quiz, "question_total", None)
        return quiz.questions.count() if total is None else total

    def get_inlines(self, request: HttpRequest, obj: Quiz | None) -> list[Any]:
        if obj is not None and self._question_total(obj) > self.max_inline_questions:
            return []
        return list(super().get_inlines(request, obj))

    @admin.display(description=_("Questions"), ordering="question_total")
    def questions(self, obj: Quiz) -> int:
        return self._question_total(obj)

    @admin.display(description=_("Questions"))
    def question_list(self, obj: Quiz) -> str:
        """The quiz's question list, where questions are edited one by one with choices."""
        if obj.pk is None:
            return str(_("Save the quiz first, then add its questions."))
        total = self._question_total(obj)
        url = reverse("admin:quizzes_question_changelist")
        link = format_html(
            '<a href="{}?{}">{}</a>', url, urlencode({"quiz__id__exact": obj.pk}),
            ngettext("%(n)s question", "%(n)s questions", total) % {"n": total},
        )
        if total > self.max_inline_questions:
            note = str(_("More than %(n)s: open the list to edit them one by one, each with "
                         "its choices; search and filters help find one."))
            note %= {"n": self.max_inline_questions}
        else:
            note = str(_("Edit them below, or one by one with their choices in the list."))
        return format_html("{} — {}", link, note)

    def save_model(self, request: Any, obj: Quiz, form: Any, change: bool) -> None:
        if not change:
            super().save_model(request, obj, form, change)
            return
        # Settings change only through the service, which also restates pass/fail and
        # moves open deadlines; it compares against the stored quiz, not the edited one.
        settings = {f.name for f in Quiz._meta.concrete_fields}
        stored = Quiz.objects.get(pk=obj.pk)
        update = services.quiz_update(
            quiz=stored,
            **{name: getattr(obj, name) for name in form.changed_data if name in settings},
        )
        if update.restated:
            self.message_user(request, _("Pass/fail restated for %(n)s finished attempts.")
                              % {"n": update.restated})

    @admin.action(description=_("Regrade: dry run (list score changes, change nothing)"),
                  permissions=["change"])
    def regrade_dry_run(self, request: Any, queryset: Any) -> None:
        for quiz in queryset:
            report = regrading.regrade_plan(quiz)
            self._report(request, report, dry_run=True)

    @admin.action(description=_("Regrade against the current answer key (audited)"),
                  permissions=["change"])
    def regrade(self, request: Any, queryset: Any) -> None:
        for quiz in queryset:
            report = regrading.attempt_regrade(
                quiz=quiz, actor=request.user, actor_label=request.user.get_username()
            )
            self._report(request, report, dry_run=False)

    def _report(self, request: Any, report: regrading.RegradeReport, *, dry_run: bool) -> None:
        verb = _("would change") if dry_run else _("changed")
        lines = [
            f"{row.attempt.user.get_username()} #{row.attempt.number}: "
            f"{scoring.display(row.old)}% → {scoring.display(row.new)}%"
            for row in report.rows
        ]
        summary = _("%(quiz)s: %(checked)s finished attempts checked, %(n)s %(verb)s.") % {
            "quiz": report.quiz.title, "checked": report.checked, "n": len(report.rows),
            "verb": verb,
        }
        self.message_user(request, " ".join([summary, *lines]))


class QuestionAdminForm(forms.ModelForm[Question]):
    class Meta:
        model = Question
        fields = ["quiz", "key", "order", "kind", "text", "points", "is_active", "explanation",
                  "lesson", "section_anchor", "all_or_nothing"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        quiz = data.get("quiz") or getattr(self.instance, "quiz", None)
        if quiz is not None and quiz.pk != self.instance.quiz_id:  # added, or moved in
            problem = limits.quiz_room_problem(current=quiz.questions.count(), adding=1)
            if problem:
                self.add_error("quiz" if "quiz" in self.fields else None, ValidationError(
                    limits.capitalised(problem), code="too_many_questions"))
        if quiz is not None and quiz.is_published and not data.get("is_active", True):
            others = quiz.questions.filter(is_active=True).exclude(pk=self.instance.pk)
            if not others.exists():
                raise ValidationError(
                    _("This is the published quiz's last active question: unpublish the quiz "
                      "before deactivating it."),
                    code="unpublishable",
                )
        return data


@admin.register(Question)
class QuestionAdmin(InstructorScopedMixin, admin.ModelAdmin[Question]):
    course_path = "quiz__course"
    list_display = ["order", "key", "__str__", "quiz", "kind", "points", "is_active"]
    list_display_links = ["key"]
    list_filter = [("quiz__course", RelatedOnly), ("quiz", RelatedOnly), "kind", "is_active"]
    search_fields = ["key", "text", "explanation"]
    list_select_related = ["quiz"]
    inlines = [ChoiceInline]
    form = QuestionAdminForm
    fieldsets = [
        (None, {"fields": ["quiz", "key", "order", "kind", "text", "points", "is_active"]}),
        (_("Feedback"), {"fields": ["explanation", "lesson", "section_anchor"]}),
        (_("Scoring"), {"fields": ["all_or_nothing"]}),
    ]

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        # "Add question" from the list filtered to a quiz starts in that quiz.
        initial = super().get_changeform_initial_data(request)
        filters = QueryDict(request.GET.get("_changelist_filters", ""))
        if "quiz" not in initial and filters.get("quiz__id__exact"):
            initial["quiz"] = filters["quiz__id__exact"]
        return initial

    def get_readonly_fields(self, request: Any, obj: Question | None = None) -> list[str]:
        # A question that attempts have shown stays in its quiz: moving it would move those
        # attempts' records out from under the quiz they belong to.
        if obj is not None and obj.slots.exists():
            return ["quiz"]
        return []


class ReadOnlyAdmin(InstructorScopedMixin, admin.ModelAdmin[_ModelT]):
    """Attempts are records, not content: nobody edits them by hand."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: _ModelT | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: _ModelT | None = None) -> bool:
        return bool(request.user.is_superuser)


class ReadOnlyInline(admin.TabularInline[_ChildT, _ParentT]):
    """The rows of a record, shown and never added, changed or deleted.

    `related` names what each row's label shows, fetched with the rows.
    """

    extra = 0
    can_delete = False
    related: tuple[str, ...] = ()

    def has_add_permission(self, request: HttpRequest, obj: _ParentT | None = None) -> bool:
        return False

    # `obj` is the parent row; the stubs declare it as the child in ModelAdmin's signature
    # and as the parent in the inline's, so it is typed as any model, which both accept.
    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet[_ChildT]:
        rows = super().get_queryset(request)
        return rows.select_related(*self.related) if self.related else rows


class AttemptQuestionInline(ReadOnlyInline[AttemptQuestion, Attempt]):
    model = AttemptQuestion
    fields = ["position", "question", "snapshot"]
    readonly_fields = ["position", "question", "snapshot"]
    # Each row's label names its attempt (learner and quiz) and its question.
    related = ("question", "attempt__user", "attempt__quiz")


class ResponseInline(ReadOnlyInline[Response, Attempt]):
    model = Response
    fields = ["question", "selected", "fraction", "answered_at"]
    readonly_fields = ["question", "selected", "fraction", "answered_at"]
    related = ("question", "attempt__user", "attempt__quiz")


@admin.register(Attempt)
class AttemptAdmin(ReadOnlyAdmin[Attempt]):
    course_path = "quiz__course"
    list_display = ["user", "quiz", "number", "state", "percentage", "passed", "finished_at"]
    list_filter = [("quiz__course", RelatedOnly), ("quiz", RelatedOnly), "state", "passed"]
    search_fields = ["user__username", "user__email", "quiz__title"]
    list_select_related = ["user", "quiz"]
    inlines = [AttemptQuestionInline, ResponseInline]


@admin.register(QuizOverride)
class QuizOverrideAdmin(InstructorScopedMixin, admin.ModelAdmin[QuizOverride]):
    course_path = "quiz__course"
    list_display = ["user", "quiz", "extra_attempts", "time_limit_minutes", "closes_at",
                    "created_by"]
    list_filter = [("quiz__course", RelatedOnly), ("quiz", RelatedOnly)]
    search_fields = ["user__username", "user__email", "quiz__title"]
    list_select_related = ["user", "quiz", "created_by"]
    fields = ["quiz", "user", "extra_attempts", "time_limit_minutes", "closes_at", "created_by",
              "created_at"]
    # Who granted it is recorded, never chosen: a select would also list every account.
    readonly_fields = ["created_by", "created_at"]

    def save_model(self, request: Any, obj: QuizOverride, form: Any, change: bool) -> None:
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)
        # Extra time granted mid-attempt counts at once.
        services.attempt_deadlines_refresh(quiz=obj.quiz, user_id=obj.user_id)

    def delete_model(self, request: Any, obj: QuizOverride) -> None:
        super().delete_model(request, obj)
        services.attempt_deadlines_refresh(quiz=obj.quiz, user_id=obj.user_id)


class RegradeChangeInline(ReadOnlyInline[RegradeChange, RegradeRun]):
    model = RegradeChange
    fields = ["attempt", "old_percentage", "new_percentage", "questions"]
    readonly_fields = ["attempt", "old_percentage", "new_percentage", "questions"]
    related = ("attempt__user", "attempt__quiz")


@admin.register(RegradeRun)
class RegradeRunAdmin(ReadOnlyAdmin[RegradeRun]):
    course_path = "quiz__course"
    list_display = ["quiz", "actor_label", "ran_at", "attempts_checked"]
    list_filter = [("quiz__course", RelatedOnly), ("quiz", RelatedOnly)]
    search_fields = ["quiz__title", "actor_label"]
    list_select_related = ["quiz"]
    inlines = [RegradeChangeInline]
