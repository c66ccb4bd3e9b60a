from __future__ import annotations

import pytest
from django.urls import reverse

from quizzes.models import Question
from tests.factories import (
    CourseFactory,
    LessonFactory,
    QuizFactory,
    UserFactory,
    make_question,
    make_quiz,
)

pytestmark = pytest.mark.django_db


def choice_formset(question, rows):
    """POST data for the question change form with the given (text, is_correct) choices."""
    data = {
        "quiz": question.quiz_id, "key": question.key, "order": 0, "kind": question.kind,
        "text": question.text, "points": "1", "is_active": "on", "explanation": "",
        "section_anchor": "",
        "choices-TOTAL_FORMS": str(len(rows)), "choices-INITIAL_FORMS": "0",
        "choices-MIN_NUM_FORMS": "0", "choices-MAX_NUM_FORMS": "1000",
    }
    question.choices.all().delete()
    for index, (text, correct) in enumerate(rows):
        data[f"choices-{index}-order"] = str(index)
        data[f"choices-{index}-text"] = text
        data[f"choices-{index}-feedback"] = ""
        data[f"choices-{index}-credit"] = ""
        if correct:
            data[f"choices-{index}-is_correct"] = "on"
    return data


def test_instructors_group_can_edit_content_but_not_users(instructor_client):
    assert instructor_client.get(reverse("admin:quizzes_quiz_changelist")).status_code == 200
    assert instructor_client.get(reverse("admin:course_lesson_add")).status_code == 200
    assert instructor_client.get(reverse("admin:auth_user_changelist")).status_code == 403
    assert instructor_client.get(reverse("admin:auth_group_changelist")).status_code == 403


def test_instructor_sees_only_their_courses(course, instructor_client):
    mine = course
    theirs = CourseFactory.create(title="Theirs")
    mine_quiz = make_quiz(mine, title="My quiz")
    their_quiz = make_quiz(theirs, title="Their quiz")
    page = instructor_client.get(reverse("admin:quizzes_quiz_changelist")).text
    assert "My quiz" in page
    assert "Their quiz" not in page
    theirs_url = reverse("admin:quizzes_quiz_change", args=[their_quiz.pk])
    assert instructor_client.get(theirs_url).status_code == 302
    mine_url = reverse("admin:quizzes_quiz_change", args=[mine_quiz.pk])
    assert instructor_client.get(mine_url).status_code == 200
    lessons = instructor_client.get(reverse("admin:course_lesson_add")).text
    assert mine.title in lessons
    assert "Theirs" not in lessons


def test_question_with_two_right_answers_for_single_answer_is_refused(course, instructor_client):
    question = make_question(QuizFactory.create(course=course))
    url = reverse("admin:quizzes_question_change", args=[question.pk])
    two_right = choice_formset(question, [("A", True), ("B", True), ("C", False)])
    response = instructor_client.post(url, two_right)
    assert response.status_code == 200
    assert "exactly one choice with 100% credit" in response.text
    response = instructor_client.post(url, choice_formset(question, [("A", True), ("B", False)]))
    assert response.status_code == 302
    assert question.choices.count() == 2


def test_multiple_answer_question_without_a_right_choice_is_refused(course, instructor_client):
    question = make_question(QuizFactory.create(course=course), kind="multiple", correct=(0, 1))
    url = reverse("admin:quizzes_question_change", args=[question.pk])
    response = instructor_client.post(url, choice_formset(question, [("A", False), ("B", False)]))
    assert "no answer can reach 100%" in response.text


def quiz_form(quiz, **overrides):
    data = {
        "course": quiz.course_id, "lesson": "", "slug": quiz.slug, "title": quiz.title,
        "description": "", "order": 0, "pass_mark": "70", "weight": "1",
        "grading_method": "highest", "last_verified": "",
        "attempt_delay_minutes": "0", "review_score": "immediately",
        "review_answers": "immediately", "review_feedback": "immediately",
        "questions-TOTAL_FORMS": "0", "questions-INITIAL_FORMS": "0",
        "questions-MIN_NUM_FORMS": "0", "questions-MAX_NUM_FORMS": "1000",
        "overrides-TOTAL_FORMS": "0", "overrides-INITIAL_FORMS": "0",
        "overrides-MIN_NUM_FORMS": "0", "overrides-MAX_NUM_FORMS": "1000",
    }
    data.update(overrides)
    return data


def test_quiz_with_a_broken_question_cannot_be_published(course, instructor_client):
    quiz = QuizFactory.create(course=course, is_published=False)
    broken = make_question(quiz, correct=())
    url = reverse("admin:quizzes_quiz_change", args=[quiz.pk])
    response = instructor_client.post(url, quiz_form(quiz, is_published="on"))
    assert response.status_code == 200
    assert "cannot be published" in response.text
    assert broken.key in response.text
    quiz.refresh_from_db()
    assert not quiz.is_published
    Question.objects.filter(pk=broken.pk).update(is_active=False)
    make_question(quiz)
    response = instructor_client.post(url, quiz_form(quiz, is_published="on"))
    assert response.status_code == 302
    quiz.refresh_from_db()
    assert quiz.is_published


def test_checkpoint_lesson_must_belong_to_the_quiz_course(course, instructor, instructor_client):
    other = CourseFactory.create()
    other.instructors.add(instructor)
    quiz = make_quiz(course)
    foreign_lesson = LessonFactory.create(course=other)
    url = reverse("admin:quizzes_quiz_change", args=[quiz.pk])
    response = instructor_client.post(url, quiz_form(quiz, lesson=foreign_lesson.pk))
    assert "Choose a lesson of the same course." in response.text


def test_attempts_are_read_only_records(instructor_client):
    response = instructor_client.get(reverse("admin:quizzes_attempt_add"))
    assert response.status_code == 403


def test_no_admin_page_shows_another_instructors_course(instructor_client):
    from course.models import Cohort, GlossaryTerm, TimelineEvent
    from quizzes.models import QuizOverride
    from quizzes.services import attempt_start
    from tests.factories import EnrolmentFactory

    theirs = CourseFactory.create(title="SECRET course", is_published=False)
    lesson = LessonFactory.create(course=theirs, title="SECRET lesson")
    quiz = make_quiz(theirs, title="SECRET quiz", lesson=lesson)
    cohort = Cohort.objects.create(course=theirs, name="SECRET cohort")
    learner = UserFactory.create(username="secret-learner")
    EnrolmentFactory.create(user=learner, course=theirs, cohort=cohort)
    GlossaryTerm.objects.create(course=theirs, slug="t", term="SECRET term", definition="d")
    TimelineEvent.objects.create(course=theirs, date="2024", title="SECRET event", text="t")
    QuizOverride.objects.create(quiz=quiz, user=learner, extra_attempts=1)
    attempt_start(user=learner, quiz=quiz)
    pages = [
        "course_course", "course_lesson", "course_cohort", "course_enrolment",
        "course_lessonprogress", "course_glossaryterm", "course_timelineevent",
        "quizzes_quiz", "quizzes_question", "quizzes_attempt", "quizzes_quizoverride",
        "quizzes_regraderun",
    ]
    for page in pages:
        response = instructor_client.get(reverse(f"admin:{page}_changelist"))
        assert response.status_code == 200, page
        assert "SECRET" not in response.text, page
        assert "secret-learner" not in response.text, page


def test_view_on_site_shortcut_is_for_superusers_only(instructor_client, admin_client):
    from django.contrib.contenttypes.models import ContentType

    from course.models import Course

    hidden = CourseFactory.create(slug="hidden-course", is_published=False)
    content_type = ContentType.objects.get_for_model(Course)
    url = f"/admin/r/{content_type.pk}/{hidden.pk}/"
    assert instructor_client.get(url).status_code == 404
    assert admin_client.get(url).status_code == 302


def question_rows(quiz, *, new=False, **changes):
    """Inline question rows for the quiz change form, optionally one new row."""
    questions = list(quiz.questions.order_by("order"))
    data: dict[str, object] = {"questions-TOTAL_FORMS": str(len(questions) + new),
            "questions-INITIAL_FORMS": str(len(questions))}
    for index, question in enumerate(questions):
        row = {"id": question.pk, "quiz": quiz.pk, "order": question.order, "key": question.key,
               "kind": question.kind, "text": question.text, "points": "1",
               "is_active": "on"}
        row.update(changes.get(question.key, {}))
        data.update({f"questions-{index}-{k}": v for k, v in row.items() if v is not None})
    if new:
        index = len(questions)
        data.update({f"questions-{index}-quiz": quiz.pk, f"questions-{index}-order": 9,
                     f"questions-{index}-key": "fresh", f"questions-{index}-kind": "single",
                     f"questions-{index}-text": "New?", f"questions-{index}-points": "1",
                     f"questions-{index}-is_active": "on"})
    return data


@pytest.fixture
def published_quiz(course):
    quiz = QuizFactory.create(course=course, is_published=True)
    make_question(quiz, key="only")
    return quiz


def test_a_new_quiz_cannot_be_published_before_it_has_questions(course, instructor_client):
    draft = QuizFactory.build(course=course, slug="draft")
    response = instructor_client.post(reverse("admin:quizzes_quiz_add"),
                           quiz_form(draft, is_published="on"))
    assert "Save the quiz unpublished first" in response.text
    assert not course.quizzes.exists()


def test_published_quiz_refuses_an_inline_question_without_choices(
    published_quiz, instructor_client
):
    url = reverse("admin:quizzes_quiz_change", args=[published_quiz.pk])
    data = {**quiz_form(published_quiz, is_published="on"),
            **question_rows(published_quiz, new=True)}
    response = instructor_client.post(url, data)
    assert "A new question has no choices yet" in response.text
    assert published_quiz.questions.count() == 1


def test_published_quiz_refuses_a_kind_change_its_choices_do_not_fit(
    published_quiz, instructor_client
):
    url = reverse("admin:quizzes_quiz_change", args=[published_quiz.pk])
    data = {**quiz_form(published_quiz, is_published="on"),
            **question_rows(published_quiz, only={"kind": "true_false"})}
    response = instructor_client.post(url, data)
    assert "exactly two choices" in response.text
    assert published_quiz.questions.get().kind == "single"


def test_published_quiz_keeps_an_active_question(published_quiz, instructor_client):
    url = reverse("admin:quizzes_quiz_change", args=[published_quiz.pk])
    data = {**quiz_form(published_quiz, is_published="on"),
            **question_rows(published_quiz, only={"is_active": None})}
    response = instructor_client.post(url, data)
    assert "at least one active question" in response.text
    question = published_quiz.questions.get()
    change = instructor_client.post(reverse("admin:quizzes_question_change", args=[question.pk]),
                         {**choice_formset(question, [("A", True), ("B", False)]),
                          "is_active": ""})
    assert "last active question" in change.text


MISSING_IMAGE = "![Map of the border crossings](static:course/img/missing-map.svg)"


def test_question_with_a_missing_image_or_a_section_its_lesson_lacks_is_refused(
    course, instructor_client
):
    lesson = LessonFactory.create(course=course)
    question = make_question(QuizFactory.create(course=course))
    url = reverse("admin:quizzes_question_change", args=[question.pk])
    data = {**choice_formset(question, [("A", True), ("B", False)]),
            "explanation": f"See the map. {MISSING_IMAGE}", "lesson": lesson.pk,
            "section_anchor": "nowhere"}
    response = instructor_client.post(url, data)
    assert response.status_code == 200
    assert "static:course/img/missing-map.svg" in response.text
    assert "has no section “#nowhere”. Its sections: first, second." in response.text
    assert "missing-map" not in Question.objects.get(pk=question.pk).explanation
    data.update(explanation="See the map.", section_anchor="first")
    assert instructor_client.post(url, data).status_code == 302


def test_quiz_form_checks_the_question_text_it_edits_and_not_the_fields_it_leaves_out(
    published_quiz, instructor_client
):
    # Stored before links were checked on save; the inline row cannot fix either field.
    published_quiz.questions.update(explanation=MISSING_IMAGE, section_anchor="gone")
    url = reverse("admin:quizzes_quiz_change", args=[published_quiz.pk])
    data = {**quiz_form(published_quiz, is_published="on"), **question_rows(published_quiz)}
    assert instructor_client.post(url, data).status_code == 302
    data.update(question_rows(published_quiz, only={"text": f"Which? {MISSING_IMAGE}"}))
    response = instructor_client.post(url, data)
    assert response.status_code == 200
    assert "static:course/img/missing-map.svg" in response.text
    assert "missing-map" not in published_quiz.questions.get().text
