from __future__ import annotations

from collections.abc import Collection
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from .rendering import BrokenLink, Rendered, render_markdown

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

LINK_MESSAGES = {
    BrokenLink.MISSING_STATIC_FILE: _(
        "The link “%(target)s” names no file in the static folders. Check its path: "
        "“static:course/img/map.svg” is the file static/course/img/map.svg."
    ),
    BrokenLink.MISSING_SECTION: _(
        "The link “%(target)s” names no section: no heading of this text has that anchor."
    ),
}


def link_errors(rendered: Rendered) -> list[ValidationError]:
    """A coded error naming each link of the rendered Markdown that leads nowhere."""
    return [
        ValidationError(LINK_MESSAGES[link.code], code=link.code, params={"target": link.target})
        for link in rendered.broken_links
    ]


class MarkdownModel(models.Model):
    """A model with Markdown fields whose links are checked whenever it is validated
    (`full_clean()`, so in every admin form), each error on the field that holds the link.

    The check extends `clean_fields()` rather than `clean()` because only there does
    Django say which fields a form leaves out: those are not checked, as none of Django's
    own field checks run on them (and an error on a field a form lacks is a crash).
    """

    class Meta:
        abstract = True

    def clean_fields(self, exclude: Collection[str] | None = None) -> None:
        errors: dict[str, list[ValidationError]] = {}
        try:
            super().clean_fields(exclude)
        except ValidationError as exc:
            errors = exc.update_error_dict(errors)
        fields = {f.name for f in self._meta.concrete_fields} - set(exclude or ()) - set(errors)
        for name, problems in self.link_errors(fields).items():
            if problems:
                errors.setdefault(name, []).extend(problems)
        if errors:
            raise ValidationError(errors)

    def link_errors(self, fields: set[str]) -> dict[str, list[ValidationError]]:
        """Errors for the broken links in those of `fields` that hold Markdown."""
        raise NotImplementedError


class CourseQuerySet(models.QuerySet["Course"]):
    def published(self) -> CourseQuerySet:
        return self.filter(is_published=True)

    def taught_by(self, user: User | AnonymousUser) -> CourseQuerySet:
        """Courses the user may manage: all for a superuser, assigned ones for an instructor."""
        if not user.is_authenticated:
            return self.none()
        if user.is_superuser:
            return self.all()
        return self.filter(instructors=user)


class Course(MarkdownModel):
    slug = models.SlugField(unique=True, help_text=_("Used in the course's URLs."))
    title = models.CharField(max_length=200)
    subtitle = models.CharField(max_length=200, blank=True)
    summary = models.TextField(help_text=_("One or two sentences shown in the catalogue."))
    description = models.TextField(blank=True, help_text=_("Markdown shown on the course page."))
    is_published = models.BooleanField(
        default=False, help_text=_("Only published courses appear in the catalogue.")
    )
    instructors = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="taught_courses",
        help_text=_("Staff who may edit this course and see its gradebook."),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = CourseQuerySet.as_manager()

    class Meta:
        ordering = ["title"]
        verbose_name = _("course")
        verbose_name_plural = _("courses")

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("course:detail", kwargs={"slug": self.slug})

    def link_errors(self, fields: set[str]) -> dict[str, list[ValidationError]]:
        if "description" not in fields:
            return {}
        return {"description": link_errors(render_markdown(self.description))}


class Cohort(models.Model):
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="cohorts")
    name = models.CharField(max_length=100, help_text=_("A class, group or intake."))

    class Meta:
        ordering = ["course", "name"]
        constraints = [
            models.UniqueConstraint(fields=["course", "name"], name="cohort_unique_name_per_course")
        ]

    def __str__(self) -> str:
        return self.name


class EnrolmentQuerySet(models.QuerySet["Enrolment"]):
    def for_user(self, user: User | AnonymousUser) -> EnrolmentQuerySet:
        if not user.is_authenticated:
            return self.none()
        return self.filter(user=user)


class Enrolment(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="enrolments"
    )
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="enrolments")
    cohort = models.ForeignKey(
        Cohort,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="enrolments",
        help_text=_("Optional: the learner's cohort in this course."),
    )
    enrolled_at = models.DateTimeField(auto_now_add=True)

    objects = EnrolmentQuerySet.as_manager()

    class Meta:
        ordering = ["-enrolled_at"]
        constraints = [
            models.UniqueConstraint(fields=["user", "course"], name="enrolment_once_per_course")
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.course}"


class LessonQuerySet(models.QuerySet["Lesson"]):
    def published(self) -> LessonQuerySet:
        return self.filter(is_published=True)


class Lesson(MarkdownModel):
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="lessons")
    slug = models.SlugField(help_text=_("Used in the lesson's URL; unique within the course."))
    title = models.CharField(max_length=200)
    order = models.PositiveIntegerField(default=1, help_text=_("Position in the course."))
    summary = models.TextField(blank=True, help_text=_("One sentence shown in the lesson list."))
    objectives = models.TextField(
        blank=True,
        help_text=_("Learning objectives, one per line (3–5), each completing “You will…”."),
    )
    estimated_minutes = models.PositiveIntegerField(default=10)
    body = models.TextField(
        help_text=_(
            "Markdown. Give every section heading a stable anchor: "
            "“## The border {#the-border}”. Link glossary terms as [Makran](glossary:makran)."
        )
    )
    is_published = models.BooleanField(default=True)
    requires_previous = models.BooleanField(
        default=False, help_text=_("Learners must complete the previous lesson first.")
    )
    last_verified = models.DateField(
        null=True, blank=True, help_text=_("When the facts in this lesson were last checked.")
    )
    updated_at = models.DateTimeField(auto_now=True)

    objects = LessonQuerySet.as_manager()

    class Meta:
        ordering = ["course", "order", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["course", "slug"], name="lesson_unique_slug_per_course")
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse(
            "course:lesson_detail", kwargs={"course_slug": self.course.slug, "slug": self.slug}
        )

    @property
    def objective_list(self) -> list[str]:
        return [line.strip() for line in self.objectives.splitlines() if line.strip()]

    def link_errors(self, fields: set[str]) -> dict[str, list[ValidationError]]:
        """Static and section links, glossary terms, and the sections other content cites:
        a heading's anchor cannot go while a question or timeline event points at it.
        """
        if "body" not in fields:
            return {}
        rendered = render_markdown(self.body)
        errors = link_errors(rendered)
        terms = set()
        if rendered.glossary_slugs:
            terms = set(GlossaryTerm.objects.filter(course_id=self.course_id)
                        .values_list("slug", flat=True))
        errors += [
            ValidationError(
                _("The glossary link “glossary:%(slug)s” names no term of this course's "
                  "glossary."),
                code="missing_glossary_term", params={"slug": slug},
            )
            for slug in rendered.glossary_slugs if slug not in terms
        ]
        if self.pk is not None:
            cited = [
                (anchor, f"{quiz}: {key}")
                for anchor, quiz, key in self.questions.exclude(section_anchor="")
                .values_list("section_anchor", "quiz__title", "key")
            ]
            cited += [
                (anchor, str(title))
                for anchor, title in self.timeline_events.exclude(anchor="")
                .values_list("anchor", "title")
            ]
            anchors = rendered.anchors()
            errors += [
                ValidationError(
                    _("“%(citer)s” links to the section “#%(anchor)s”, which this text no "
                      "longer has: keep a heading with that anchor, or change that link first."),
                    code="section_in_use", params={"citer": citer, "anchor": anchor},
                )
                for anchor, citer in sorted(cited) if anchor not in anchors
            ]
        return {"body": errors}


class LessonSource(models.Model):
    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="sources")
    order = models.PositiveIntegerField(default=0)
    title = models.CharField(max_length=300)
    publisher = models.CharField(max_length=200)
    url = models.URLField(max_length=500)
    published = models.CharField(
        max_length=10, blank=True, help_text=_("Publication date: YYYY-MM-DD, YYYY-MM or YYYY.")
    )

    class Meta:
        ordering = ["lesson", "order", "pk"]

    def __str__(self) -> str:
        return f"{self.publisher}: {self.title}"


class Completion(models.TextChoices):
    MARKED = "marked", _("Marked complete")
    CHECKPOINT = "checkpoint", _("Completed by passing its checkpoint")


class LessonProgress(models.Model):
    """A learner's record of one lesson: when they last opened it and when they completed it."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="lesson_progress"
    )
    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="progress")
    last_viewed_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_by = models.CharField(
        max_length=10, choices=Completion.choices, blank=True, default="",
        help_text=_("How the lesson was first completed; blank before completion."),
    )

    class Meta:
        verbose_name_plural = _("lesson progress")
        constraints = [
            models.UniqueConstraint(fields=["user", "lesson"], name="progress_once_per_lesson")
        ]
        indexes = [models.Index(fields=["user", "last_viewed_at"], name="progress_recent_idx")]

    def __str__(self) -> str:
        return f"{self.user} – {self.lesson}"

    @property
    def is_completed(self) -> bool:
        return self.completed_at is not None


class GlossaryTerm(models.Model):
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="glossary_terms")
    slug = models.SlugField(help_text=_("Anchor on the glossary page; lessons link glossary:slug."))
    term = models.CharField(max_length=200)
    definition = models.TextField()

    class Meta:
        ordering = ["course", "term"]
        constraints = [
            models.UniqueConstraint(fields=["course", "slug"], name="glossary_unique_slug")
        ]

    def __str__(self) -> str:
        return self.term


class TimelineEvent(models.Model):
    class Tag(models.TextChoices):
        CONFIRMED = "confirmed", _("Confirmed")
        ONE_SIDE = "one_side", _("Reported by one side")
        DISPUTED = "disputed", _("Disputed")

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="timeline_events")
    order = models.PositiveIntegerField(default=0)
    date = models.CharField(max_length=10, help_text=_("YYYY-MM-DD, YYYY-MM or YYYY."))
    end_date = models.CharField(max_length=10, blank=True)
    title = models.CharField(max_length=200)
    text = models.TextField()
    tag = models.CharField(max_length=20, choices=Tag.choices, default=Tag.CONFIRMED)
    lesson = models.ForeignKey(
        Lesson, on_delete=models.SET_NULL, null=True, blank=True, related_name="timeline_events"
    )
    anchor = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["course", "order", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(tag__in=["confirmed", "one_side", "disputed"]),
                name="timeline_tag_valid",
            )
        ]

    def __str__(self) -> str:
        return f"{self.date}: {self.title}"
