from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from tests.factories import (
    AttemptFactory,
    CohortFactory,
    CourseFactory,
    EnrolmentFactory,
    LessonFactory,
    LessonProgressFactory,
    QuizFactory,
    UserFactory,
    make_question,
    make_quiz,
)

pytestmark = pytest.mark.django_db


def checkpoint_with_points(**kwargs):
    """Three questions worth 66.67, 93.33 and 40 points: the first right alone scores
    33.335 % (a half-up rounding case), the first two 80 %."""
    quiz = QuizFactory.create(**kwargs)
    for points in ("66.67", "93.33", "40"):
        make_question(quiz, points=Decimal(points))
    return quiz


@pytest.fixture
def course():
    """The course `instructor` teaches: `export_grades` is called by this slug."""
    return CourseFactory.create(slug="strikes")


@pytest.fixture
def course_book(course, instructor):
    lessons = [LessonFactory.create(course=course, order=i) for i in range(1, 4)]
    q1 = checkpoint_with_points(course=course, title="Checkpoint 1", order=1, lesson=lessons[0])
    q2 = make_quiz(course, n_questions=10, title="Final exam", order=2, weight=Decimal(3),
                   grading_method="average")
    QuizFactory.create(course=course, title="Practice", order=3, weight=Decimal(0))
    evening = CohortFactory.create(course=course, name="Evening")
    alice = UserFactory.create(username="alice", first_name="Alice", last_name="Abbas")
    bob = UserFactory.create(username="bob", first_name="=HYPERLINK(\"x\")", last_name="Baloch")
    carol = UserFactory.create(username="carol", first_name="Carol", last_name="Chaudhry")
    EnrolmentFactory.create(user=alice, course=course, cohort=evening)
    EnrolmentFactory.create(user=bob, course=course)
    EnrolmentFactory.create(user=carol, course=course, cohort=evening)
    LessonProgressFactory.create(user=alice, lesson=lessons[0], completed=True,
                          last_viewed_at=datetime(2024, 1, 19, tzinfo=UTC),
                          completed_at=datetime(2024, 1, 19, tzinfo=UTC))
    LessonProgressFactory.create(user=alice, lesson=lessons[1], completed=True,
                          last_viewed_at=datetime(2024, 1, 19, tzinfo=UTC),
                          completed_at=datetime(2024, 1, 19, tzinfo=UTC))
    # 80 %; then 60 % and 90 %, averaged to 75 %; bob's 33.335 % rounds half up to 33.34.
    AttemptFactory.create(user=alice, quiz=q1, right=2, when=datetime(2024, 1, 20, 9, tzinfo=UTC))
    AttemptFactory.create(user=alice, quiz=q2, right=6, when=datetime(2024, 1, 21, 9, tzinfo=UTC))
    AttemptFactory.create(user=alice, quiz=q2, right=9,
                          when=datetime(2024, 1, 22, 9, 30, tzinfo=UTC))
    AttemptFactory.create(user=bob, quiz=q1, right=1)
    return course, instructor


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
    page = client.get(reverse("gradebook:gradebook", args=[course.slug]))
    assert page.status_code == 200
    for row in export_rows()[1:]:
        for cell in row[5:8]:
            if cell:
                assert f"{cell}%" in page.text
    download = client.get(
        reverse("gradebook:gradebook_export", args=[course.slug, "grades", "csv"])
    )
    assert download["Content-Type"].startswith("text/csv")
    assert "attachment" in download["Content-Disposition"]
    body = b"".join(download.streaming_content).decode()
    assert list(csv.reader(io.StringIO(body))) == export_rows()


def test_gradebook_filters_by_cohort_and_search(client, course_book):
    course, teacher = course_book
    client.force_login(teacher)
    evening = course.cohorts.get(name="Evening")
    url = reverse("gradebook:gradebook", args=[course.slug])
    page = client.get(url, {"cohort": evening.pk}).text
    assert "alice" in page
    assert "carol" in page
    assert ">bob<" not in page
    page = client.get(url, {"q": "chaud"}).text
    assert "carol" in page
    assert "alice" not in page
    csv_url = reverse("gradebook:gradebook_export", args=[course.slug, "grades", "csv"])
    body = b"".join(client.get(csv_url, {"cohort": evening.pk}).streaming_content).decode()
    assert "bob" not in body
    assert "alice" in body


def test_gradebook_query_count_is_flat(client, course_book, django_assert_max_num_queries):
    course, teacher = course_book
    quiz = course.quizzes.get(title="Checkpoint 1")
    for index in range(60):
        user = UserFactory.create()
        AttemptFactory.create(user=user, quiz=quiz, right=index % 4)
    client.force_login(teacher)
    with django_assert_max_num_queries(10):
        response = client.get(reverse("gradebook:gradebook", args=[course.slug]))
    assert response.status_code == 200


def test_gradebook_is_only_for_the_courses_instructors(client, course_book):
    course, _teacher = course_book
    other_teacher = UserFactory.create(is_staff=True)
    CourseFactory.create().instructors.add(other_teacher)
    learner = UserFactory.create()
    for user in (other_teacher, learner):
        client.force_login(user)
        assert client.get(reverse("gradebook:gradebook", args=[course.slug])).status_code == 404
        url = reverse("gradebook:gradebook_export", args=[course.slug, "grades", "csv"])
        assert client.get(url).status_code == 404
    client.logout()
    assert client.get(reverse("gradebook:gradebook", args=[course.slug])).status_code == 302


def test_superuser_sees_every_gradebook(client, course_book):
    course, _ = course_book
    client.force_login(UserFactory.create(is_staff=True, is_superuser=True))
    assert client.get(reverse("gradebook:gradebook", args=[course.slug])).status_code == 200


def read_xlsx(data: bytes) -> list[list[str]]:
    import openpyxl

    sheet = openpyxl.load_workbook(io.BytesIO(data), read_only=True).active
    assert sheet is not None
    return [
        [
            "" if c.value is None
            else f"{c.value:.2f}" if c.number_format == "0.00"
            else str(c.value)
            for c in row
        ]
        for row in sheet.iter_rows()
    ]


def read_ods(data: bytes) -> list[list[str]]:
    from odf import teletype
    from odf.opendocument import load
    from odf.table import Table, TableCell, TableRow

    document = load(io.BytesIO(data))
    table = document.spreadsheet.getElementsByType(Table)[0]
    rows = []
    for row in table.getElementsByType(TableRow):
        cells = []
        for cell in row.getElementsByType(TableCell):
            value = cell.getAttribute("value")
            cells.append(f"{float(value):.2f}" if cell.getAttribute("valuetype") == "float"
                         and "." in str(value) else teletype.extractText(cell))
        rows.append(cells)
    return rows


def normalise(rows: list[list[str]]) -> list[list[str]]:
    """Integers stay integers (lessons completed); trailing empty cells do not count."""
    width = len(rows[0])
    return [(row + [""] * width)[:width] for row in rows]


def download(client, course, kind, fmt, **params) -> bytes:
    url = reverse("gradebook:gradebook_export", args=[course.slug, kind, fmt])
    response = client.get(url, params)
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    return b"".join(response.streaming_content)


def test_page_csv_xlsx_and_ods_hold_the_same_numbers(client, course_book):
    course, teacher = course_book
    client.force_login(teacher)
    from_csv = list(csv.reader(io.StringIO(download(client, course, "grades", "csv").decode())))
    from_xlsx = normalise(read_xlsx(download(client, course, "grades", "xlsx")))
    from_ods = normalise(read_ods(download(client, course, "grades", "ods")))
    assert from_xlsx == from_csv
    assert from_ods == from_csv
    page = client.get(reverse("gradebook:gradebook", args=[course.slug])).text
    for row in from_csv[1:]:
        for cell in row[5:8]:
            if cell:
                assert f"{cell}%" in page


def test_spreadsheet_grades_are_numbers_not_text(client, course_book):
    import openpyxl

    course, teacher = course_book
    client.force_login(teacher)
    sheet = openpyxl.load_workbook(
        io.BytesIO(download(client, course, "grades", "xlsx")), read_only=True
    ).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    alice = next(r for r in rows if r[0] == "alice")
    assert alice[5] == 80.0
    assert isinstance(alice[7], float)


def test_spreadsheets_defuse_formulas_too(client, course_book):
    course, teacher = course_book
    client.force_login(teacher)
    rows = read_xlsx(download(client, course, "grades", "xlsx"))
    bob = next(r for r in rows if r[0] == "bob")
    assert bob[1].startswith("'=")


def test_exports_honour_the_cohort_filter_in_every_format(client, course_book):
    course, teacher = course_book
    client.force_login(teacher)
    evening = course.cohorts.get(name="Evening").pk
    for fmt, reader in (("xlsx", read_xlsx), ("ods", read_ods)):
        rows = reader(download(client, course, "grades", fmt, cohort=evening))
        assert sorted(r[0] for r in rows[1:]) == ["alice", "carol"]


def test_responses_export_has_a_row_per_attempt_and_question(course, instructor_client, enrol):
    from quizzes.services import attempt_start, attempt_submit

    quiz = make_quiz(course, n_questions=3, title="Check")
    learner = UserFactory.create(username="dana")
    enrol(learner, quiz.course)
    attempt = attempt_start(user=learner, quiz=quiz)
    slots = list(attempt.slots.all())
    first = slots[0].snapshot["choices"][0]
    attempt_submit(attempt=attempt, slots=slots, answers={slots[0].question_id: [first["id"]]})
    body = download(instructor_client, quiz.course, "responses", "csv").decode()
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0][:3] == ["Username", "Quiz", "Attempt"]
    assert len(rows) == 1 + 3
    assert rows[1][0] == "dana"
    assert rows[1][8] == first["text"]
    assert rows[1][9] == "100.00"
    assert rows[2][9] == "0.00"
    assert normalise(read_ods(download(instructor_client, quiz.course, "responses", "ods"))) == rows


def test_unknown_export_is_a_clear_400(client, course_book):
    course, teacher = course_book
    client.force_login(teacher)
    url = reverse("gradebook:gradebook_export", args=[course.slug, "grades", "pdf"])
    response = client.get(url)
    assert response.status_code == 400
    assert b"csv, xlsx or ods" in response.content


def test_export_command_writes_xlsx_and_ods(course_book, tmp_path):
    for fmt in ("xlsx", "ods"):
        target = tmp_path / f"grades.{fmt}"
        call_command("export_grades", "strikes", format=fmt, output=str(target),
                     stderr=io.StringIO())
        rows = (read_xlsx if fmt == "xlsx" else read_ods)(target.read_bytes())
        assert normalise(rows) == export_rows()
    with pytest.raises(CommandError, match="give --output"):
        call_command("export_grades", "strikes", format="xlsx")


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("username", ["alice", "bob", "carol"]),
        ("-username", ["carol", "bob", "alice"]),
        ("course_grade", ["carol", "bob", "alice"]),
        ("-course_grade", ["alice", "bob", "carol"]),
        ("-lessons_completed", ["alice", "bob", "carol"]),
        ("-last_activity", ["bob", "alice", "carol"]),
    ],
)
def test_gradebook_sorts_by_any_column(client, course_book, sort, expected):
    course, teacher = course_book
    client.force_login(teacher)
    response = client.get(reverse("gradebook:gradebook", args=[course.slug]), {"sort": sort})
    assert [row.username for row in response.context["rows"]] == expected


def test_gradebook_sorts_by_a_quiz_column(client, course_book):
    course, teacher = course_book
    quiz = course.quizzes.get(title="Checkpoint 1")
    client.force_login(teacher)
    response = client.get(reverse("gradebook:gradebook", args=[course.slug]),
                          {"sort": f"-quiz-{quiz.pk}"})
    assert [row.username for row in response.context["rows"]] == ["alice", "bob", "carol"]


def test_learner_drill_down_shows_attempts_and_an_override_link(client, course_book):
    course, teacher = course_book
    client.force_login(teacher)
    alice = course.enrolments.get(user__username="alice").user
    url = reverse("gradebook:learner_detail", args=[course.slug, alice.pk])
    page = client.get(url).text
    assert "Final exam" in page
    assert "75.00%" in page
    assert "Grant an extra attempt or more time" in page
    assert reverse("admin:quizzes_quizoverride_add") in page
    attempt = alice.quiz_attempts.first()
    assert reverse("gradebook:attempt_detail", args=[course.slug, attempt.pk]) in page


def test_drill_down_is_a_404_outside_the_instructors_course(client, course_book):
    course, _teacher = course_book
    stranger = UserFactory.create(is_staff=True)
    CourseFactory.create().instructors.add(stranger)
    client.force_login(stranger)
    alice = course.enrolments.get(user__username="alice").user
    attempt = alice.quiz_attempts.first()
    assert client.get(reverse("gradebook:learner_detail", args=[course.slug, alice.pk])
                      ).status_code == 404
    assert client.get(reverse("gradebook:attempt_detail", args=[course.slug, attempt.pk])
                      ).status_code == 404


def test_instructor_sees_the_attempt_as_the_learner_saw_it(course, instructor, client, enrol):
    from quizzes.services import attempt_start, attempt_submit

    quiz = make_quiz(course, n_questions=4, shuffle_questions=True, shuffle_choices=True,
                     review_answers="never")
    learner = UserFactory.create()
    enrol(learner, quiz.course)
    attempt = attempt_start(user=learner, quiz=quiz)
    slots = list(attempt.slots.all())
    attempt_submit(attempt=attempt, slots=slots, answers={})
    client.force_login(instructor)
    page = client.get(reverse("gradebook:attempt_detail", args=[quiz.course.slug, attempt.pk])).text
    positions = [page.index(s.snapshot["text"]) for s in slots]
    assert positions == sorted(positions)
    assert "Right answer" in page


@pytest.mark.parametrize("sort", ["-course_grade", "last_activity", "lessons_completed"])
def test_sorted_gradebook_query_count_is_flat(
    client, course_book, sort, django_assert_max_num_queries
):
    course, teacher = course_book
    quiz = course.quizzes.get(title="Checkpoint 1")
    for index in range(40):
        user = UserFactory.create()
        AttemptFactory.create(user=user, quiz=quiz, right=index % 4)
    client.force_login(teacher)
    with django_assert_max_num_queries(10):
        response = client.get(reverse("gradebook:gradebook", args=[course.slug]), {"sort": sort})
    assert len(response.context["rows"]) == 43


def test_override_link_opens_a_prefilled_form_for_the_instructor(client, course_book):
    course, teacher = course_book
    quiz = course.quizzes.get(title="Checkpoint 1")
    alice = course.enrolments.get(user__username="alice").user
    outsider = UserFactory.create(username="outsider")
    client.force_login(teacher)
    url = reverse("admin:quizzes_quizoverride_add") + f"?quiz={quiz.pk}&user={alice.pk}"
    page = client.get(url)
    assert page.status_code == 200
    assert f'<option value="{alice.pk}" selected>' in page.text
    assert outsider.username not in page.text
    response = client.post(url, {"quiz": quiz.pk, "user": alice.pk, "extra_attempts": 1,
                                 "time_limit_minutes": "", "closes_at_0": "", "closes_at_1": ""})
    assert response.status_code == 302
    override = quiz.overrides.get(user=alice)
    assert override.extra_attempts == 1
    assert override.created_by == teacher


def test_export_query_count_does_not_grow_with_learners(course_book):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    course, _teacher = course_book
    quiz = course.quizzes.get(title="Checkpoint 1")

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            export_rows()
        return len(queries)

    before = count()
    for index in range(50):
        user = UserFactory.create()
        AttemptFactory.create(user=user, quiz=quiz, right=index % 4)
    assert count() == before
    assert len(export_rows()) == 1 + 3 + 50


def test_instructor_previews_a_quiz_and_nothing_is_stored(
    course, instructor_client, django_assert_max_num_queries
):
    from quizzes.models import Attempt

    quiz = QuizFactory.create(course=course, is_published=False, title="Draft quiz")
    first = make_question(quiz, correct=(1,))
    first.choices.update(feedback="FEEDBACK-TEXT")
    make_question(quiz, correct=(0,))
    url = reverse("gradebook:preview", args=[quiz.course.slug, quiz.slug])
    with django_assert_max_num_queries(8):
        page = instructor_client.get(url)
    assert "Nothing you answer here is saved" in page.text
    assert "FEEDBACK-TEXT" not in page.text
    right = first.choices.get(is_correct=True)
    result = instructor_client.post(url, {f"q{first.pk}": right.pk})
    assert "50.00% — Not passed" in result.text
    assert "Right answer" in result.text
    assert not Attempt.objects.exists()
    bad = instructor_client.post(url, {f"q{first.pk}": 999999})
    assert bad.status_code == 400
