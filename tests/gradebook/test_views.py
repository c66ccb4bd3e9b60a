"""The instructor's learner page tells the instructor what the learner is told."""

from __future__ import annotations

import pytest
from django.urls import reverse

from quizzes.models import Attempt
from tests.factories import AttemptFactory, LessonFactory, UserFactory, make_quiz

pytestmark = pytest.mark.django_db


def test_learner_page_says_the_final_exam_waits_for_unpassed_checkpoints(
    course, instructor_client, enrol, django_assert_max_num_queries
):
    lessons = [LessonFactory.create(course=course, order=i) for i in range(1, 4)]
    checkpoints = [make_quiz(course, lesson=lesson, n_questions=4) for lesson in lessons]
    final = make_quiz(course, title="Final exam", requires_checkpoints_passed=True)
    learner = UserFactory.create()
    enrol(learner, course)
    AttemptFactory.create(user=learner, quiz=checkpoints[0], right=4)
    AttemptFactory.create(user=learner, quiz=checkpoints[1], right=1)  # 25%: not passed
    url = reverse("gradebook:learner_detail", args=[course.slug, learner.pk])

    with django_assert_max_num_queries(10):
        page = instructor_client.get(url).text

    assert "Cannot start a new attempt now: Pass the checkpoint quizzes first" in page
    assert f"“{checkpoints[1].title}”" in page
    assert f"“{checkpoints[0].title}”" not in page
    # The learner is refused the same way.
    from quizzes import services

    with pytest.raises(services.AttemptNotAllowed, match="Pass the checkpoint quizzes first"):
        services.attempt_start(user=learner, quiz=final)
    assert not Attempt.objects.filter(quiz=final).exists()
