from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from course.models import Course, Lesson, MarkdownModel, link_errors
from course.rendering import render_markdown

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User


class GradingMethod(models.TextChoices):
    HIGHEST = "highest", _("Highest grade")
    AVERAGE = "average", _("Average grade")
    FIRST = "first", _("First attempt")
    LAST = "last", _("Last attempt")


class ReviewTiming(models.TextChoices):
    IMMEDIATELY = "immediately", _("Immediately after the attempt")
    AFTER_CLOSE = "after_close", _("Only after the quiz closes")
    # Moodle's "after the quiz is closed", reached early by a learner with no attempt left.
    AFTER_LAST_ATTEMPT = "after_last", _("After the last attempt, or once the quiz closes")
    NEVER = "never", _("Never")


class QuizQuerySet(models.QuerySet["Quiz"]):
    def published(self) -> QuizQuerySet:
        return self.filter(is_published=True)

    def graded(self) -> QuizQuerySet:
        """Published quizzes that count towards the course grade, in course order."""
        return self.published().filter(weight__gt=0).order_by("order", "pk")


class Quiz(models.Model):
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="quizzes")
    lesson = models.ForeignKey(
        Lesson,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="quizzes",
        help_text=_("The lesson this checkpoint quiz checks; leave empty for a final exam."),
    )
    slug = models.SlugField(help_text=_("Used in the quiz's URL; unique within the course."))
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True, help_text=_("Shown before the quiz starts."))
    order = models.PositiveIntegerField(default=0, help_text=_("Position in gradebook columns."))
    pass_mark = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        default=Decimal("70"),
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))],
        help_text=_("Percentage needed to pass (0–100)."),
    )
    weight = models.DecimalField(
        max_digits=6,
        decimal_places=2,
        default=Decimal("1"),
        validators=[MinValueValidator(Decimal(0))],
        help_text=_("Weight in the course grade; 0 makes the quiz practice only."),
    )
    grading_method = models.CharField(
        max_length=10,
        choices=GradingMethod.choices,
        default=GradingMethod.HIGHEST,
        help_text=_("How the learner's attempts combine into one quiz grade."),
    )
    is_published = models.BooleanField(
        default=False,
        help_text=_("Learners only see published quizzes. A quiz with a broken question "
                    "cannot be published."),
    )
    attempts_allowed = models.PositiveIntegerField(
        null=True, blank=True, help_text=_("Leave empty for unlimited attempts.")
    )
    attempt_delay_minutes = models.PositiveIntegerField(
        default=0, help_text=_("Minutes a learner must wait after finishing before retaking.")
    )
    time_limit_minutes = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text=_("Leave empty for no time limit. Enforced on the server: past the deadline "
                    "the attempt is finished with the answers saved by then."),
    )
    opens_at = models.DateTimeField(
        null=True, blank=True, help_text=_("Learners cannot start before this time.")
    )
    closes_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text=_("Learners cannot start after this time, and open attempts end at it."),
    )
    questions_per_attempt = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text=_("Draw this many questions at random from the quiz's active questions "
                    "for each attempt. Leave empty to ask them all."),
    )
    shuffle_questions = models.BooleanField(
        default=False, help_text=_("Each attempt shows the questions in its own order.")
    )
    shuffle_choices = models.BooleanField(
        default=False, help_text=_("Each attempt shows the choices in its own order.")
    )
    review_score = models.CharField(
        max_length=12, choices=ReviewTiming.choices, default=ReviewTiming.IMMEDIATELY,
        help_text=_("When learners see their score."),
    )
    review_answers = models.CharField(
        max_length=12, choices=ReviewTiming.choices, default=ReviewTiming.IMMEDIATELY,
        help_text=_("When learners see which answers were right."),
    )
    review_feedback = models.CharField(
        max_length=12, choices=ReviewTiming.choices, default=ReviewTiming.IMMEDIATELY,
        help_text=_("When learners see choice feedback and explanations."),
    )
    requires_checkpoints_passed = models.BooleanField(
        default=False,
        help_text=_("Learners must pass every checkpoint quiz of the course before starting."),
    )
    last_verified = models.DateField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = QuizQuerySet.as_manager()

    class Meta:
        ordering = ["course", "order", "pk"]
        verbose_name_plural = _("quizzes")
        constraints = [
            models.UniqueConstraint(fields=["course", "slug"], name="quiz_unique_slug_per_course"),
            models.CheckConstraint(
                condition=Q(pass_mark__gte=0) & Q(pass_mark__lte=100),
                name="quiz_pass_mark_range",
                violation_error_code="pass_mark_range",
                violation_error_message=_("The pass mark must be between 0 and 100."),
            ),
            models.CheckConstraint(
                condition=Q(weight__gte=0),
                name="quiz_weight_not_negative",
                violation_error_code="weight_negative",
                violation_error_message=_("The weight cannot be negative."),
            ),
            models.CheckConstraint(
                condition=Q(opens_at__isnull=True)
                | Q(closes_at__isnull=True)
                | Q(closes_at__gt=F("opens_at")),
                name="quiz_closes_after_it_opens",
                violation_error_code="closes_before_opens",
                violation_error_message=_("The quiz must close after it opens."),
            ),
            models.CheckConstraint(
                condition=Q(questions_per_attempt__isnull=True) | Q(questions_per_attempt__gt=0),
                name="quiz_questions_per_attempt_positive",
                violation_error_code="questions_per_attempt",
                violation_error_message=_(
                    "Questions per attempt must be at least 1, or empty for all."
                ),
            ),
            models.CheckConstraint(
                condition=Q(time_limit_minutes__isnull=True) | Q(time_limit_minutes__gt=0),
                name="quiz_time_limit_positive",
                violation_error_code="time_limit",
                violation_error_message=_(
                    "The time limit must be at least 1 minute, or empty for none."
                ),
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse(
            "quizzes:detail", kwargs={"course_slug": self.course.slug, "slug": self.slug}
        )


class QuizOverride(models.Model):
    """An accommodation for one learner: extra attempts, more time, a later close date."""

    quiz = models.ForeignKey(Quiz, on_delete=models.CASCADE, related_name="overrides")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="quiz_overrides"
    )
    extra_attempts = models.PositiveIntegerField(
        default=0, help_text=_("Attempts on top of the quiz's limit.")
    )
    time_limit_minutes = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text=_("Replaces the quiz's time limit for this learner. When it is longer, the "
                    "close date moves later by the difference, so the extra time is kept."),
    )
    closes_at = models.DateTimeField(
        null=True, blank=True, help_text=_("Replaces the quiz's close date for this learner.")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("learner override")
        constraints = [
            models.UniqueConstraint(fields=["quiz", "user"], name="override_once_per_learner"),
            models.CheckConstraint(
                condition=Q(time_limit_minutes__isnull=True) | Q(time_limit_minutes__gt=0),
                name="override_time_limit_positive",
                violation_error_code="time_limit",
                violation_error_message=_(
                    "The time limit must be at least 1 minute, or empty to keep the quiz's."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} – {self.quiz}"


class QuestionKind(models.TextChoices):
    SINGLE = "single", _("Single answer")
    MULTIPLE = "multiple", _("Multiple answers")
    TRUE_FALSE = "true_false", _("True / false")


class Question(MarkdownModel):
    quiz = models.ForeignKey(Quiz, on_delete=models.CASCADE, related_name="questions")
    key = models.SlugField(
        max_length=100, help_text=_("Stable identifier within the quiz, used by imports.")
    )
    order = models.PositiveIntegerField(default=0)
    kind = models.CharField(
        max_length=12, choices=QuestionKind.choices, default=QuestionKind.SINGLE
    )
    text = models.TextField(help_text=_("Markdown."))
    points = models.DecimalField(
        max_digits=6,
        decimal_places=2,
        default=Decimal("1"),
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    explanation = models.TextField(
        blank=True, help_text=_("Shown after the attempt: why the right answer is right.")
    )
    lesson = models.ForeignKey(
        Lesson,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="questions",
        help_text=_("The lesson that teaches this point."),
    )
    section_anchor = models.SlugField(
        max_length=100,
        blank=True,
        help_text=_("The anchor of the lesson section that teaches it (without “#”)."),
    )
    all_or_nothing = models.BooleanField(
        default=False,
        help_text=_("Multiple answers only: full marks for exactly the right set, else zero."),
    )
    is_active = models.BooleanField(
        default=True, help_text=_("Inactive questions stay in past attempts but are not asked.")
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["quiz", "order", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["quiz", "key"], name="question_unique_key_per_quiz"),
            models.CheckConstraint(
                condition=Q(points__gt=0),
                name="question_points_positive",
                violation_error_code="points",
                violation_error_message=_("A question must be worth more than 0 points."),
            ),
        ]

    def __str__(self) -> str:
        return self.text[:80]

    def link_errors(self, fields: set[str]) -> dict[str, list[ValidationError]]:
        """Broken links in the text and explanation, and a section the lesson lacks."""
        errors = {
            name: link_errors(render_markdown(getattr(self, name)))
            for name in ("text", "explanation") if name in fields
        }
        if not self.section_anchor or not {"lesson", "section_anchor"} <= fields:
            return errors
        if self.lesson is None:
            errors["lesson"] = [ValidationError(
                _("Choose the lesson whose section “#%(anchor)s” teaches this."),
                code="section_without_lesson", params={"anchor": self.section_anchor},
            )]
        elif self.section_anchor not in (anchors := render_markdown(self.lesson.body).anchors()):
            errors["section_anchor"] = [ValidationError(
                _("The lesson “%(lesson)s” has no section “#%(anchor)s”. Its sections: "
                  "%(anchors)s."),
                code="missing_section",
                params={"lesson": self.lesson.title, "anchor": self.section_anchor,
                        "anchors": ", ".join(sorted(anchors)) or _("none")},
            )]
        return errors


class Choice(models.Model):
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="choices")
    order = models.PositiveIntegerField(default=0)
    text = models.CharField(max_length=500)
    is_correct = models.BooleanField(default=False)
    credit = models.DecimalField(
        max_digits=8,
        decimal_places=5,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(-100)), MaxValueValidator(Decimal(100))],
        help_text=_(
            "Optional credit in percent (−100 to 100). Leave empty for the default: "
            "single answer, 100 for the correct choice; multiple answers, ±100/number correct."
        ),
    )
    feedback = models.TextField(blank=True, help_text=_("Shown when the learner chose this."))

    class Meta:
        ordering = ["question", "order", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(credit__isnull=True) | (Q(credit__gte=-100) & Q(credit__lte=100)),
                name="choice_credit_range",
                violation_error_code="credit_range",
                violation_error_message=_("A choice's credit must be between -100 and 100."),
            )
        ]

    def __str__(self) -> str:
        return self.text


class AttemptState(models.TextChoices):
    OPEN = "open", _("In progress")
    FINISHED = "finished", _("Finished")


class AttemptQuerySet(models.QuerySet["Attempt"]):
    def for_user(self, user: User | AnonymousUser) -> AttemptQuerySet:
        if not user.is_authenticated:
            return self.none()
        return self.filter(user=user)

    def finished(self) -> AttemptQuerySet:
        return self.filter(state=AttemptState.FINISHED)


class Attempt(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="quiz_attempts"
    )
    quiz = models.ForeignKey(Quiz, on_delete=models.CASCADE, related_name="attempts")
    number = models.PositiveIntegerField(help_text=_("1 for the learner's first attempt."))
    state = models.CharField(max_length=10, choices=AttemptState.choices, default=AttemptState.OPEN)
    started_at = models.DateTimeField()
    deadline = models.DateTimeField(
        null=True,
        blank=True,
        help_text=_("No answer is accepted after this; the attempt is then finished with the "
                    "answers saved by then."),
    )
    seed = models.BigIntegerField(default=0, help_text=_("Seeds this attempt's shuffles."))
    finished_at = models.DateTimeField(null=True, blank=True)
    points_earned = models.DecimalField(max_digits=12, decimal_places=6, null=True, blank=True)
    points_possible = models.DecimalField(max_digits=12, decimal_places=6, null=True, blank=True)
    percentage = models.DecimalField(
        max_digits=12,
        decimal_places=8,
        null=True,
        blank=True,
        help_text=_("Exact score in percent; shown rounded to 2 decimals."),
    )
    passed = models.BooleanField(null=True, blank=True)

    objects = AttemptQuerySet.as_manager()

    class Meta:
        ordering = ["quiz", "user", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "quiz", "number"], name="attempt_unique_number"
            ),
            models.UniqueConstraint(
                fields=["user", "quiz"],
                condition=Q(state="open"),
                name="attempt_one_open_per_learner_and_quiz",
            ),
            models.CheckConstraint(
                condition=Q(state="open") | Q(finished_at__isnull=False, percentage__isnull=False),
                name="attempt_finished_has_score",
            ),
            models.CheckConstraint(
                condition=Q(percentage__isnull=True)
                | (Q(percentage__gte=0) & Q(percentage__lte=100)),
                name="attempt_percentage_range",
            ),
        ]
        indexes = [
            models.Index(fields=["quiz", "state"], name="attempt_quiz_state_idx"),
            models.Index(fields=["state", "deadline"], name="attempt_overdue_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.user} – {self.quiz} #{self.number}"

    @property
    def is_open(self) -> bool:
        return self.state == AttemptState.OPEN


class AttemptQuestion(models.Model):
    """What one attempt showed for one question, frozen when the attempt started.

    `snapshot` holds the question text, kind, points, explanation, section link and the
    choices in the order shown, each with its credit and feedback, so that later edits
    to the question never change what the attempt showed or how it was scored.
    """

    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE, related_name="slots")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="slots")
    position = models.PositiveIntegerField()
    snapshot = models.JSONField()
    flagged = models.BooleanField(
        default=False, help_text=_("Flagged by the learner to review before submitting.")
    )

    class Meta:
        ordering = ["attempt", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["attempt", "position"], name="slot_unique_position"
            ),
            models.UniqueConstraint(
                fields=["attempt", "question"], name="slot_question_once_per_attempt"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.attempt} Q{self.position}"

    @property
    def choices(self) -> list[dict[str, Any]]:
        return list(self.snapshot["choices"])


class Response(models.Model):
    """The learner's answer to one question of one attempt."""

    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE, related_name="responses")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="responses")
    selected = models.JSONField(default=list, help_text=_("Ids of the chosen choices."))
    fraction = models.DecimalField(
        max_digits=10, decimal_places=8, null=True, blank=True, help_text=_("0 to 1.")
    )
    answered_at = models.DateTimeField()

    class Meta:
        ordering = ["attempt", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["attempt", "question"], name="response_one_per_question_per_attempt"
            ),
            models.CheckConstraint(
                condition=Q(fraction__isnull=True) | (Q(fraction__gte=0) & Q(fraction__lte=1)),
                name="response_fraction_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.attempt} – {self.question_id}"


class RegradeRun(models.Model):
    """One real regrade of a quiz: who ran it, when, and (through `changes`) what moved."""

    quiz = models.ForeignKey(Quiz, on_delete=models.CASCADE, related_name="regrades")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )
    actor_label = models.CharField(
        max_length=150, help_text=_("Who ran it, kept even if the account is deleted.")
    )
    ran_at = models.DateTimeField()
    attempts_checked = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-ran_at"]

    def __str__(self) -> str:
        return f"{self.quiz} regraded by {self.actor_label} at {self.ran_at:%Y-%m-%d %H:%M}"


class RegradeChange(models.Model):
    run = models.ForeignKey(RegradeRun, on_delete=models.CASCADE, related_name="changes")
    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE, related_name="regrades")
    old_percentage = models.DecimalField(max_digits=12, decimal_places=8)
    new_percentage = models.DecimalField(max_digits=12, decimal_places=8)
    questions = models.JSONField(
        default=list, help_text=_("Per changed question: key, old and new fraction.")
    )

    class Meta:
        ordering = ["run", "attempt"]
        constraints = [
            models.UniqueConstraint(fields=["run", "attempt"], name="regrade_change_once_per_run")
        ]

    def __str__(self) -> str:
        return f"{self.attempt}: {self.old_percentage} → {self.new_percentage}"
