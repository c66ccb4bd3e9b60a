from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from quizzes.models import Attempt, AttemptState
from tests.factories import (
    CohortFactory,
    CourseFactory,
    EnrolmentFactory,
    LessonFactory,
    LessonProgressFactory,
    QuizFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def finished(user, quiz, percentage, number=1, when=None):
    when = when or timezone.now()
    return Attempt.objects.create(
        user=user, quiz=quiz, number=number, state=AttemptState.FINISHED,
        started_at=when, finished_at=when, percentage=Decimal(percentage),
        points_earned=Decimal(0), points_possible=Decimal(1), passed=False,
    )


@pytest.fixture
def course_book():
    course = CourseFactory.create(slug="strikes")
    teacher = UserFactory.create(username="teacher", is_staff=True)
    course.instructors.add(teacher)
    lessons = [LessonFactory.create(course=course, order=i) for i in range(1, 4)]
    q1 = QuizFactory.create(course=course, title="Checkpoint 1", order=1, lesson=lessons[0])
    q2 = QuizFactory.create(course=course, title="Final exam", order=2, weight=Decimal(3),
                     grading_method="average")
    QuizFactory.create(course=course, title="Practice", order=3, weight=Decimal(0))
    evening = CohortFactory.create(course=course, name="Evening")
    alice = UserFactory.create(username="alice", first_name="Alice", last_name="Abbas")
    bob = UserFactory.create(username="bob", first_name="=HYPERLINK(\"x\")", last_name="Baloch")
    carol = UserFactory.create(username="carol", first_name="Carol", last_name="Chaudhry")
    EnrolmentFactory.create(user=alice, course=course, cohort=evening)
    EnrolmentFactory.create(user=bob, course=course)
    EnrolmentFactory.create(user=carol, course=course, cohort=evening)
    finished(alice, q1, "80", when=datetime(2024, 1, 20, 9, 0, tzinfo=UTC))
    finished(alice, q2, "60", when=datetime(2024, 1, 21, 9, 0, tzinfo=UTC))
    finished(alice, q2, "90", number=2, when=datetime(2024, 1, 22, 9, 30, tzinfo=UTC))
    finished(bob, q1, "33.335")
    LessonProgressFactory.create(user=alice, lesson=lessons[0], completed=True,
                          last_viewed_at=datetime(2024, 1, 19, tzinfo=UTC),
                          completed_at=datetime(2024, 1, 19, tzinfo=UTC))
    LessonProgressFactory.create(user=alice, lesson=lessons[1], completed=True,
                          last_viewed_at=datetime(2024, 1, 19, tzinfo=UTC),
                          completed_at=datetime(2024, 1, 19, tzinfo=UTC))
    return course, teacher


def export_rows(**options):
    out = io.StringIO()
    call_command("export_grades", "strikes", stdout=out, **options)
    return list(csv.reader(io.StringIO(out.getvalue())))


def test_csv_has_the_contract_columns_in_order(course_book):
    header = export_rows()[0]
    assert header == [
        "Username", "First name", "Last name", "Email", "Cohort", "Checkpoint 1", "Final exam",
        "Course grade", "Lessons completed", "Last activity",
    ]


def test_csv_grades_are_numbers_rounded_half_up_and_blank_when_unattempted(course_book):
    rows = {row[0]: row for row in export_rows()[1:]}
    alice, bob, carol = rows["alice"], rows["bob"], rows["carol"]
    assert alice[5:10] == ["80.00", "75.00", "76.25", "2", "2024-01-22T09:30:00Z"]
    assert bob[5:7] == ["33.34", ""]
    assert bob[7] == "8.33"
    assert carol[5:9] == ["", "", "0.00", "0"]
    assert all("%" not in cell for row in rows.values() for cell in row)


def test_csv_defuses_formulas(course_book):
    rows = {row[0]: row for row in export_rows()[1:]}
    assert rows["bob"][1] == "'=HYPERLINK(\"x\")"


def test_csv_filters_by_cohort(course_book):
    usernames = [row[0] for row in export_rows(cohort="Evening")[1:]]
    assert sorted(usernames) == ["alice", "carol"]


def test_export_command_names_a_bad_course_or_cohort(course_book):
    with pytest.raises(CommandError, match="No course with slug 'nope'"):
        call_command("export_grades", "nope")
    with pytest.raises(CommandError, match=r"No cohort .Morning.*Evening"):
        call_command("export_grades", "strikes", cohort="Morning")


def test_export_command_writes_a_file(course_book, tmp_path):
    target = tmp_path / "grades.csv"
    call_command("export_grades", "strikes", output=str(target), stderr=io.StringIO())
    raw = target.read_bytes()
    assert raw.startswith(b"Username,First name")
    assert b"\r\n" in raw


def test_gradebook_page_and_csv_show_the_same_numbers(client, course_book):
    course, teacher = course_book
    client.force_login(teacher)
    page = client.get(reverse("quizzes:gradebook", args=[course.slug]))
    assert page.status_code == 200
    for row in export_rows()[1:]:
        for cell in row[5:8]:
            if cell:
                assert f"{cell}%" in page.text
    download = client.get(reverse("quizzes:gradebook_export", args=[course.slug]))
    assert download["Content-Type"].startswith("text/csv")
    assert "attachment" in download["Content-Disposition"]
    body = b"".join(download.streaming_content).decode()
    assert list(csv.reader(io.StringIO(body))) == export_rows()


def test_gradebook_filters_by_cohort_and_search(client, course_book):
    course, teacher = course_book
    client.force_login(teacher)
    evening = course.cohorts.get(name="Evening")
    url = reverse("quizzes:gradebook", args=[course.slug])
    page = client.get(url, {"cohort": evening.pk}).text
    assert "alice" in page
    assert "carol" in page
    assert ">bob<" not in page
    page = client.get(url, {"q": "chaud"}).text
    assert "carol" in page
    assert "alice" not in page
    csv_url = reverse("quizzes:gradebook_export", args=[course.slug])
    body = b"".join(client.get(csv_url, {"cohort": evening.pk}).streaming_content).decode()
    assert "bob" not in body
    assert "alice" in body


def test_gradebook_query_count_is_flat(client, course_book, django_assert_max_num_queries):
    course, teacher = course_book
    quiz = course.quizzes.get(title="Checkpoint 1")
    for index in range(60):
        user = UserFactory.create()
        EnrolmentFactory.create(user=user, course=course)
        finished(user, quiz, str(index))
    client.force_login(teacher)
    with django_assert_max_num_queries(10):
        response = client.get(reverse("quizzes:gradebook", args=[course.slug]))
    assert response.status_code == 200


def test_gradebook_is_only_for_the_courses_instructors(client, course_book):
    course, _teacher = course_book
    other_teacher = UserFactory.create(is_staff=True)
    CourseFactory.create().instructors.add(other_teacher)
    learner = UserFactory.create()
    for user in (other_teacher, learner):
        client.force_login(user)
        assert client.get(reverse("quizzes:gradebook", args=[course.slug])).status_code == 404
        url = reverse("quizzes:gradebook_export", args=[course.slug])
        assert client.get(url).status_code == 404
    client.logout()
    assert client.get(reverse("quizzes:gradebook", args=[course.slug])).status_code == 302


def test_superuser_sees_every_gradebook(client, course_book):
    course, _ = course_book
    client.force_login(UserFactory.create(is_staff=True, is_superuser=True))
    assert client.get(reverse("quizzes:gradebook", args=[course.slug])).status_code == 200
