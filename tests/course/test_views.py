from __future__ import annotations

import pytest
from django.urls import reverse

from course.models import LessonProgress
from tests.factories import (
    CourseFactory,
    LessonFactory,
    LessonProgressFactory,
    LessonSourceFactory,
    UserFactory,
    make_quiz,
)

pytestmark = pytest.mark.django_db


def lesson_url(lesson):
    return reverse("course:lesson_detail", args=[lesson.course.slug, lesson.slug])


@pytest.fixture
def course_with_lessons():
    course = CourseFactory.create()
    lessons = [LessonFactory.create(course=course, order=i) for i in range(1, 4)]
    for lesson in lessons:
        LessonSourceFactory.create_batch(3, lesson=lesson)
        make_quiz(course, lesson=lesson)
    return course, lessons


def test_catalogue_lists_published_courses_only(client, django_assert_max_num_queries):
    published = CourseFactory.create_batch(3)
    hidden = CourseFactory.create(is_published=False)
    for course in published:
        LessonFactory.create_batch(2, course=course)
    with django_assert_max_num_queries(4):
        response = client.get(reverse("course:catalogue"))
    assert response.status_code == 200
    for course in published:
        assert course.title in response.text
    assert hidden.title not in response.text


def test_unpublished_course_is_not_found(client):
    course = CourseFactory.create(is_published=False)
    assert client.get(course.get_absolute_url()).status_code == 404


def test_course_page_invites_anonymous_visitors_to_sign_up(client, course_with_lessons):
    course, lessons = course_with_lessons
    response = client.get(course.get_absolute_url())
    assert reverse("signup") in response.text
    assert all(lesson.title in response.text for lesson in lessons)


def test_enrolling_shows_progress_and_a_first_lesson_link(student_client, course_with_lessons):
    course, lessons = course_with_lessons
    response = student_client.post(reverse("course:enrol", args=[course.slug]), follow=True)
    assert "You are enrolled" in response.text
    assert "0 of 3 lessons completed" in response.text
    assert lessons[0].get_absolute_url() in response.text


def test_enrolling_twice_keeps_one_enrolment(student_client, student, course_with_lessons):
    course, _ = course_with_lessons
    url = reverse("course:enrol", args=[course.slug])
    student_client.post(url)
    student_client.post(url)
    assert student.enrolments.filter(course=course).count() == 1


def test_enrol_needs_post(student_client, course_with_lessons):
    course, _ = course_with_lessons
    assert student_client.get(reverse("course:enrol", args=[course.slug])).status_code == 405


def test_lesson_shows_objectives_sections_sources_and_neighbours(
    student_client, student, enrol, course_with_lessons, django_assert_max_num_queries
):
    course, lessons = course_with_lessons
    enrol(student, course)
    with django_assert_max_num_queries(8):
        response = student_client.get(lesson_url(lessons[1]))
    text = response.text
    assert response.status_code == 200
    assert "Learning objectives" in text
    assert "Describe the border." in text
    assert 'id="first"' in text
    assert 'href="#second"' in text
    for source in lessons[1].sources.all():
        assert source.url in text
        assert source.publisher in text
    assert lessons[0].get_absolute_url() in text
    assert lessons[2].get_absolute_url() in text
    assert "Facts last verified" in text


def test_lesson_query_count_does_not_grow_with_the_course(
    student_client, student, enrol, django_assert_max_num_queries
):
    course = CourseFactory.create()
    lessons = LessonFactory.create_batch(30, course=course)
    for lesson in lessons:
        LessonSourceFactory.create_batch(5, lesson=lesson)
        LessonProgressFactory.create(user=student, lesson=lesson, completed=True)
    enrol(student, course)
    with django_assert_max_num_queries(8):
        assert student_client.get(lesson_url(lessons[15])).status_code == 200


def test_lesson_markdown_is_sanitised(student_client, student, enrol):
    lesson = LessonFactory.create(body="Hi <script>alert('x')</script> [a](javascript:alert(1))")
    enrol(student, lesson.course)
    text = student_client.get(lesson_url(lesson)).text
    assert "<script>alert" not in text
    assert "javascript:" not in text


def test_lessons_need_enrolment(student_client, course_with_lessons):
    _, lessons = course_with_lessons
    response = student_client.get(lesson_url(lessons[0]), follow=True)
    assert "Enrol in the course to read its lessons" in response.text


def test_lessons_need_login(client, course_with_lessons):
    _, lessons = course_with_lessons
    response = client.get(lesson_url(lessons[0]))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_unknown_lesson_is_not_found(student_client, course_with_lessons):
    course, _ = course_with_lessons
    url = reverse("course:lesson_detail", args=[course.slug, "no-such-lesson"])
    assert student_client.get(url).status_code == 404


def test_marking_complete_records_progress_once(
    student_client, student, enrol, course_with_lessons
):
    course, lessons = course_with_lessons
    enrol(student, course)
    url = reverse("course:lesson_complete", args=[course.slug, lessons[0].slug])
    response = student_client.post(url, follow=True)
    assert "marked complete" in response.text
    first = LessonProgress.objects.get(user=student, lesson=lessons[0]).completed_at
    student_client.post(url)
    assert LessonProgress.objects.get(user=student, lesson=lessons[0]).completed_at == first
    page = student_client.get(course.get_absolute_url()).text
    assert "1 of 3 lessons completed (33%)" in page


def test_marking_complete_needs_enrolment(student_client, student, course_with_lessons):
    course, lessons = course_with_lessons
    student_client.post(reverse("course:lesson_complete", args=[course.slug, lessons[0].slug]))
    assert not LessonProgress.objects.filter(user=student).exists()


def test_gated_lesson_says_which_lesson_to_finish_first(student_client, student, enrol):
    course = CourseFactory.create()
    first = LessonFactory.create(course=course, order=1, title="Geography first")
    second = LessonFactory.create(course=course, order=2, requires_previous=True)
    enrol(student, course)
    response = student_client.get(lesson_url(second))
    assert response.status_code == 403
    assert "Geography first" in response.text
    assert first.get_absolute_url() in response.text
    LessonProgressFactory.create(user=student, lesson=first, completed=True)
    assert student_client.get(lesson_url(second)).status_code == 200


def test_instructor_reads_lessons_without_enrolling(course, instructor_client):
    lesson = LessonFactory.create(course=course)
    assert instructor_client.get(lesson_url(lesson)).status_code == 200


def test_glossary_and_timeline_pages_render(client):
    from course.models import GlossaryTerm, TimelineEvent

    course = CourseFactory.create()
    GlossaryTerm.objects.create(course=course, slug="makran", term="Makran", definition="Coast.")
    TimelineEvent.objects.create(course=course, date="2024-01-16", title="Strike", text="Text.")
    glossary = client.get(reverse("course:glossary", args=[course.slug]))
    assert 'id="makran"' in glossary.text
    timeline = client.get(reverse("course:timeline", args=[course.slug]))
    assert "2024-01-16" in timeline.text
    assert "Confirmed" in timeline.text


def test_course_page_query_count_is_flat(
    student_client, student, enrol, django_assert_max_num_queries
):
    course = CourseFactory.create()
    for index in range(1, 21):
        lesson = LessonFactory.create(course=course, order=index)
        make_quiz(course, lesson=lesson)
        LessonProgressFactory.create(user=student, lesson=lesson, completed=index % 2 == 0)
    make_quiz(course, title="Final exam")
    enrol(student, course)
    with django_assert_max_num_queries(8):
        response = student_client.get(course.get_absolute_url())
    assert "10 of 20 lessons completed (50%)" in response.text
    assert "Final exam" in response.text


def test_glossary_and_timeline_query_counts_are_flat(client, django_assert_max_num_queries):
    from course.models import GlossaryTerm, TimelineEvent

    course = CourseFactory.create()
    lesson = LessonFactory.create(course=course)
    for index in range(30):
        GlossaryTerm.objects.create(course=course, slug=f"t{index}", term=f"T{index}",
                                    definition="D.")
        TimelineEvent.objects.create(course=course, date="2024-01-16", title=f"E{index}",
                                     text="Text.", lesson=lesson)
    with django_assert_max_num_queries(3):
        client.get(reverse("course:glossary", args=[course.slug]))
    with django_assert_max_num_queries(3):
        client.get(reverse("course:timeline", args=[course.slug]))


def test_a_locked_lesson_cannot_be_completed_nor_its_quiz_started(student_client, student, enrol):
    course = CourseFactory.create()
    first = LessonFactory.create(course=course, order=1, title="First lesson")
    second = LessonFactory.create(course=course, order=2, requires_previous=True)
    quiz = make_quiz(course, lesson=second)
    enrol(student, course)
    response = student_client.post(
        reverse("course:lesson_complete", args=[course.slug, second.slug]), follow=True
    )
    assert "Complete “First lesson” first." in response.text
    assert not LessonProgress.objects.filter(lesson=second).exists()
    student_client.post(reverse("quizzes:start", args=[course.slug, quiz.slug]))
    assert not quiz.attempts.exists()
    from course.services import lesson_mark_complete

    lesson_mark_complete(user=student, lesson=first)
    student_client.post(reverse("course:lesson_complete", args=[course.slug, second.slug]))
    assert LessonProgress.objects.get(lesson=second).completed_at is not None


def test_instructor_previews_unpublished_lessons_that_learners_cannot_see(
    course, instructor, instructor_client, enrol
):
    from django.test import Client

    course.is_published = False
    course.save(update_fields=["is_published"])
    draft = LessonFactory.create(course=course, is_published=False, title="Draft lesson")
    page = instructor_client.get(lesson_url(draft))
    assert page.status_code == 200
    assert "Preview: this lesson is not published" in page.text
    assert not LessonProgress.objects.filter(user=instructor).exists()
    learner = UserFactory.create()
    enrol(learner, course)
    learner_client = Client()
    learner_client.force_login(learner)
    assert learner_client.get(lesson_url(draft)).status_code == 404


def test_instructor_opens_a_gated_lesson_of_their_own_course(course, instructor_client):
    LessonFactory.create(course=course, order=1)
    gated = LessonFactory.create(course=course, order=2, requires_previous=True)
    response = instructor_client.get(lesson_url(gated))
    assert response.status_code == 200
    assert "This lesson opens once" not in response.text


def test_superuser_opens_a_gated_lesson_without_enrolling(client):
    course = CourseFactory.create()
    LessonFactory.create(course=course, order=1)
    gated = LessonFactory.create(course=course, order=2, requires_previous=True)
    client.force_login(UserFactory.create(is_staff=True, is_superuser=True))
    assert client.get(lesson_url(gated)).status_code == 200


def test_an_instructor_enrolled_in_their_course_completes_a_gated_lesson(
    course, instructor, instructor_client, enrol
):
    LessonFactory.create(course=course, order=1)
    gated = LessonFactory.create(course=course, order=2, requires_previous=True)
    enrol(instructor, course)
    instructor_client.post(reverse("course:lesson_complete", args=[course.slug, gated.slug]))
    assert LessonProgress.objects.get(user=instructor, lesson=gated).completed_at is not None


def test_instructor_sees_the_page_of_their_unpublished_course(
    course, instructor_client, django_assert_max_num_queries
):
    course.is_published = False
    course.save(update_fields=["is_published"])
    lessons = LessonFactory.create_batch(3, course=course)
    with django_assert_max_num_queries(8):
        response = instructor_client.get(course.get_absolute_url())
    assert response.status_code == 200
    assert all(lesson.title in response.text for lesson in lessons)


def test_an_unpublished_course_stays_hidden_from_other_instructors_and_learners(
    course, client, enrol
):
    from django.contrib.auth.models import Group

    course.is_published = False
    course.save(update_fields=["is_published"])
    other = UserFactory.create(is_staff=True)
    other.groups.add(Group.objects.get(name="Instructors"))
    learner = UserFactory.create()
    enrol(learner, course)
    for user in (other, learner):
        client.force_login(user)
        assert client.get(course.get_absolute_url()).status_code == 404


# Locks shown before they bite ---------------------------------------------------------------

@pytest.fixture
def gated_course(student, enrol):
    course = CourseFactory.create()
    lessons = [
        LessonFactory.create(course=course, order=i, title=f"Lesson title {i}",
                             requires_previous=i > 1)
        for i in range(1, 4)
    ]
    for lesson in lessons:
        make_quiz(course, lesson=lesson, title=f"Checkpoint {lesson.order}")
    enrol(student, course)
    return course, lessons


def test_course_page_shows_which_lesson_opens_a_locked_one(student_client, gated_course):
    course, lessons = gated_course
    page = student_client.get(course.get_absolute_url()).text
    assert "Locked. Complete lesson 1, “Lesson title 1”, to open." in page
    assert "Locked. Complete lesson 2, “Lesson title 2”, to open." in page
    assert f'href="{lesson_url(lessons[0])}"' in page
    # A locked lesson's title is not a link that bounces.
    assert f'<a class="fw-semibold" href="{lesson_url(lessons[1])}"' not in page


def test_course_page_opens_the_next_lesson_once_the_previous_is_completed(
    student_client, student, gated_course
):
    course, lessons = gated_course
    LessonProgressFactory.create(user=student, lesson=lessons[0], completed=True)
    page = student_client.get(course.get_absolute_url()).text
    assert f'<a class="fw-semibold" href="{lesson_url(lessons[1])}"' in page
    assert "Complete lesson 1," not in page
    assert "Locked. Complete lesson 2, “Lesson title 2”, to open." in page


def test_course_page_shows_no_locks_to_a_visitor_nor_to_the_teacher(
    client, instructor_client, course
):
    first = LessonFactory.create(course=course, order=1)
    LessonFactory.create(course=course, order=2, requires_previous=True)
    assert "Locked." not in client.get(course.get_absolute_url()).text
    assert "Locked." not in instructor_client.get(course.get_absolute_url()).text
    assert first.title in instructor_client.get(course.get_absolute_url()).text


def test_a_direct_visit_to_a_locked_lesson_explains_in_the_site_layout(
    student_client, gated_course
):
    _course, lessons = gated_course
    response = student_client.get(lesson_url(lessons[2]))
    assert response.status_code == 403
    assert ("This lesson is locked. Complete lesson 2, “Lesson title 2”, to open it."
            in response.text)
    assert f'href="{lessons[1].get_absolute_url()}"' in response.text
    assert "Go to lesson 2" in response.text
    # Lesson 2 is itself locked: the page also offers lesson 1, the one open now.
    assert "The next lesson open to you is lesson 1, “Lesson title 1”." in response.text
    assert f'href="{lessons[0].get_absolute_url()}"' in response.text
    assert 'aria-label="Breadcrumb"' in response.text
    assert "/static/css/site" in response.text  # the site layout, not a bare page


def test_course_page_with_locks_keeps_its_query_count_flat(
    student_client, student, enrol, django_assert_max_num_queries
):
    course = CourseFactory.create()
    for index in range(1, 31):
        lesson = LessonFactory.create(course=course, order=index, requires_previous=index > 1)
        make_quiz(course, lesson=lesson)
        if index < 5:
            LessonProgressFactory.create(user=student, lesson=lesson, completed=True)
    enrol(student, course)
    with django_assert_max_num_queries(8):
        page = student_client.get(course.get_absolute_url()).text
    assert page.count("Locked. Complete lesson") == 25


def test_lesson_completed_by_its_checkpoint_says_so(student_client, student, gated_course):
    from course.services import lesson_complete_by_checkpoint

    course, lessons = gated_course
    lesson_complete_by_checkpoint(lesson_id=lessons[0].pk, user_ids=[student.pk])
    page = student_client.get(lesson_url(lessons[0])).text
    assert "it was completed by passing its checkpoint" in page
    assert "Completed by passing its checkpoint" in student_client.get(
        course.get_absolute_url()).text
    assert LessonProgress.objects.get(user=student, lesson=lessons[0]).completed_by == "checkpoint"


def test_a_lesson_marked_complete_is_not_said_to_be_completed_by_its_checkpoint(
    student_client, student, gated_course
):
    course, lessons = gated_course
    student_client.post(reverse("course:lesson_complete", args=[course.slug, lessons[0].slug]))
    page = student_client.get(lesson_url(lessons[0])).text
    assert "You have completed this lesson." in page
    assert "completed by passing its checkpoint" not in page
    assert LessonProgress.objects.get(user=student, lesson=lessons[0]).completed_by == "marked"
