"""factory-boy factories: the test data every test builds on."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.utils import timezone

from course.models import Cohort, Course, Enrolment, Lesson, LessonProgress, LessonSource
from quizzes.models import Attempt, Choice, Question, QuestionKind, Quiz

PASSWORD = "correct-horse-battery"


class UserFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"learner{n}")
    first_name = factory.Sequence(lambda n: f"First{n}")
    last_name = factory.Sequence(lambda n: f"Last{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.django.Password(PASSWORD)


class CourseFactory(factory.django.DjangoModelFactory[Course]):
    class Meta:
        model = Course

    slug = factory.Sequence(lambda n: f"course-{n}")
    title = factory.Sequence(lambda n: f"Course {n}")
    summary = "A course for testing."
    description = "About **this** course."
    is_published = True


class CohortFactory(factory.django.DjangoModelFactory[Cohort]):
    class Meta:
        model = Cohort

    course = factory.SubFactory(CourseFactory)
    name = factory.Sequence(lambda n: f"Cohort {n}")


class LessonFactory(factory.django.DjangoModelFactory[Lesson]):
    class Meta:
        model = Lesson

    course = factory.SubFactory(CourseFactory)
    slug = factory.Sequence(lambda n: f"lesson-{n}")
    title = factory.Sequence(lambda n: f"Lesson {n}")
    order = factory.Sequence(lambda n: n + 1)
    summary = "What this lesson covers."
    objectives = "Name the two provinces.\nDescribe the border.\nExplain the figures."
    body = "Intro.\n\n## First section {#first}\n\nText.\n\n## Second section {#second}\n\nMore."
    is_published = True
    last_verified = factory.LazyFunction(lambda: timezone.now().date())

    class Params:
        gated = factory.Trait(requires_previous=True)


class LessonSourceFactory(factory.django.DjangoModelFactory[LessonSource]):
    class Meta:
        model = LessonSource

    lesson = factory.SubFactory(LessonFactory)
    order = factory.Sequence(lambda n: n)
    title = factory.Sequence(lambda n: f"Report {n}")
    publisher = "Al Jazeera"
    url = factory.Sequence(lambda n: f"https://example.com/report-{n}")
    published = "2024-01-17"


class EnrolmentFactory(factory.django.DjangoModelFactory[Enrolment]):
    class Meta:
        model = Enrolment

    user = factory.SubFactory(UserFactory)
    course = factory.SubFactory(CourseFactory)


class LessonProgressFactory(factory.django.DjangoModelFactory[LessonProgress]):
    class Meta:
        model = LessonProgress

    user = factory.SubFactory(UserFactory)
    lesson = factory.SubFactory(LessonFactory)
    last_viewed_at = factory.LazyFunction(timezone.now)

    class Params:
        completed = factory.Trait(completed_at=factory.LazyFunction(timezone.now))


class QuizFactory(factory.django.DjangoModelFactory[Quiz]):
    class Meta:
        model = Quiz

    course = factory.SubFactory(CourseFactory)
    slug = factory.Sequence(lambda n: f"quiz-{n}")
    title = factory.Sequence(lambda n: f"Quiz {n}")
    pass_mark = Decimal("70")
    weight = Decimal("1")
    is_published = True


class QuestionFactory(factory.django.DjangoModelFactory[Question]):
    class Meta:
        model = Question

    quiz = factory.SubFactory(QuizFactory)
    key = factory.Sequence(lambda n: f"q-{n}")
    order = factory.Sequence(lambda n: n)
    kind = QuestionKind.SINGLE
    text = factory.Sequence(lambda n: f"Question text {n}?")
    points = Decimal("1")
    explanation = "Because the fact card says so."

    class Params:
        multiple_answer = factory.Trait(kind=QuestionKind.MULTIPLE)
        true_false = factory.Trait(kind=QuestionKind.TRUE_FALSE)


class ChoiceFactory(factory.django.DjangoModelFactory[Choice]):
    class Meta:
        model = Choice

    question = factory.SubFactory(QuestionFactory)
    order = factory.Sequence(lambda n: n)
    text = factory.Sequence(lambda n: f"Choice {n}")
    is_correct = False
    feedback = factory.LazyAttribute(lambda c: f"Feedback on {c.text}")


def make_question(quiz: Quiz, *, kind: str = QuestionKind.SINGLE, correct: tuple[int, ...] = (0,),
                  n_choices: int = 4, **kwargs: object) -> Question:
    """A question with `n_choices` choices, those at the `correct` positions ticked."""
    if kind == QuestionKind.TRUE_FALSE:
        n_choices = 2
    question = QuestionFactory.create(quiz=quiz, kind=kind, **kwargs)
    for index in range(n_choices):
        text = ("True", "False")[index] if kind == QuestionKind.TRUE_FALSE else None
        ChoiceFactory.create(question=question, order=index, is_correct=index in correct,
                      **({"text": text} if text else {}))
    return question


def make_quiz(course: Course | None = None, *, n_questions: int = 3, **kwargs: object) -> Quiz:
    quiz = QuizFactory.create(**({"course": course} if course else {}), **kwargs)
    for _ in range(n_questions):
        make_question(quiz)
    return quiz


def _answer(snapshot: dict[str, Any], right: bool) -> list[int]:
    """A full-credit answer to a pinned question, or a zero-credit one."""
    choices: list[dict[str, str]] = snapshot["choices"]
    if snapshot["kind"] == QuestionKind.MULTIPLE:
        picked = [c for c in choices if Decimal(c["credit"]) > 0] if right else [
            min(choices, key=lambda c: Decimal(c["credit"]))
        ]
    else:
        picked = [(max if right else min)(choices, key=lambda c: Decimal(c["credit"]))]
    return [int(c["id"]) for c in picked]


class AttemptFactory(factory.django.DjangoModelFactory[Attempt]):
    """An attempt made the way a learner makes one: enrolled, started by the service (which
    pins the slots), answered, and, unless `finished=False`, submitted and scored by the
    service, so slots, responses, percentage and pass/fail always agree with the rules.

    `right` is how many questions, in the order shown, get a full-credit answer; the others
    get the lowest-credit choice. `when` is the clock for start and submit. The quiz's own
    rules (attempt limit, delay, dates) apply, as they do to a learner.
    """

    class Meta:
        model = Attempt

    user = factory.SubFactory(UserFactory)
    quiz = factory.LazyFunction(lambda: make_quiz(n_questions=4))

    # Not model fields: _create takes them off before anything is saved.
    right = 0
    finished = True
    when = None

    @classmethod
    def _create(cls, model_class: type[Attempt], *args: Any, **kwargs: Any) -> Attempt:
        from quizzes import services

        user: User = kwargs.pop("user")
        quiz: Quiz = kwargs.pop("quiz")
        right = int(kwargs.pop("right", 0))
        finished = bool(kwargs.pop("finished", True))
        when = kwargs.pop("when", None) or timezone.now()
        assert not kwargs, f"AttemptFactory takes user, quiz, right, finished, when: {kwargs}"
        Enrolment.objects.get_or_create(user=user, course_id=quiz.course_id)
        attempt = services.attempt_start(user=user, quiz=quiz, now=when)
        slots = list(attempt.slots.order_by("position"))
        answers = {s.question_id: _answer(s.snapshot, i < right) for i, s in enumerate(slots)}
        if finished:
            services.attempt_submit(attempt=attempt, slots=slots, answers=answers, now=when)
        else:
            services.attempt_save(attempt=attempt, answers=answers, now=when)
        attempt.refresh_from_db()
        return attempt
