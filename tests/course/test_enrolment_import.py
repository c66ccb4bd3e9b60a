from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from course.enrolment_import import (
    CsvRow,
    EnrolmentImportError,
    UserKey,
    enrolment_import,
    parse_enrolment_csv,
    resolve_learners,
)
from course.models import Cohort, Enrolment
from tests.factories import CohortFactory, CourseFactory, EnrolmentFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def course():
    return CourseFactory.create(slug="strikes")


@pytest.fixture
def learners():
    return [UserFactory.create(username=name, email=f"{name.title()}@Example.com")
            for name in ("alice", "bob", "carol")]


def cohort_of(user, course):
    return Enrolment.objects.select_related("cohort").get(user=user, course=course).cohort


def counts():
    return Enrolment.objects.count(), Cohort.objects.count()


def problems_of(course, text):
    before = counts()
    with pytest.raises(EnrolmentImportError) as caught:
        enrolment_import(course=course, text=text)
    assert counts() == before
    return [(p.line, p.message) for p in caught.value.problems]


# --- Service: what gets written -------------------------------------------------------------


def test_enrols_by_username_and_by_email_into_created_cohorts(course, learners):
    alice, bob, carol = learners
    report = enrolment_import(course=course, text=(
        "username,email,cohort\n"
        "alice,,Evening\n"
        ",BOB@example.COM,Morning\n"
        "carol,carol@example.com,\n"
    ))
    assert (report.enrolled, report.already_enrolled, report.cohort_changes) == (3, 0, 0)
    assert report.cohorts_created == ("Evening", "Morning")
    assert cohort_of(alice, course).name == "Evening"
    assert cohort_of(bob, course).name == "Morning"
    assert cohort_of(carol, course) is None
    assert set(course.cohorts.values_list("name", flat=True)) == {"Evening", "Morning"}
    assert "Enrolled 3 new learners" in report.summary()
    assert "cohorts created: Evening, Morning" in report.summary()


def test_existing_cohort_is_reused_not_created_again(course, learners):
    evening = CohortFactory.create(course=course, name="Evening")
    report = enrolment_import(course=course, text="username,cohort\nalice,Evening\n")
    assert report.cohorts_created == ()
    assert cohort_of(learners[0], course) == evening
    assert Cohort.objects.filter(course=course).count() == 1


def test_reimporting_the_same_file_changes_nothing(course, learners):
    text = "username,cohort\nalice,Evening\nbob,Morning\ncarol,\n"
    enrolment_import(course=course, text=text)
    before = list(Enrolment.objects.order_by("pk").values_list("pk", "user", "cohort"))
    report = enrolment_import(course=course, text=text)
    assert (report.enrolled, report.already_enrolled, report.cohort_changes) == (0, 3, 0)
    assert report.cohorts_created == ()
    assert list(Enrolment.objects.order_by("pk").values_list("pk", "user", "cohort")) == before
    assert Cohort.objects.count() == 2


def test_enrolled_learner_moves_to_the_files_cohort_and_keeps_the_enrolment(course, learners):
    alice, bob, _carol = learners
    morning = CohortFactory.create(course=course, name="Morning")
    kept = EnrolmentFactory.create(user=alice, course=course, cohort=morning)
    EnrolmentFactory.create(user=bob, course=course, cohort=morning)
    report = enrolment_import(course=course, text="username,cohort\nalice,Evening\nbob,\n")
    assert (report.enrolled, report.already_enrolled, report.cohort_changes) == (0, 2, 1)
    assert "2 already enrolled (1 cohort change)" in report.summary()
    moved = Enrolment.objects.get(user=alice, course=course)
    assert moved.pk == kept.pk
    assert moved.enrolled_at == kept.enrolled_at
    assert cohort_of(alice, course).name == "Evening"
    assert cohort_of(bob, course) == morning  # empty cell: cohort left as it was


def test_enrolment_in_another_course_is_not_touched(course, learners):
    other = CourseFactory.create()
    elsewhere = EnrolmentFactory.create(user=learners[0], course=other)
    report = enrolment_import(course=course, text="username,cohort\nalice,Evening\n")
    assert report.enrolled == 1
    elsewhere.refresh_from_db()
    assert elsewhere.cohort is None
    assert not other.cohorts.exists()


def test_utf8_bom_quoting_and_crlf_are_read(course, learners):
    UserFactory.create(username="dariush", email="d@example.com")
    text = '\ufeffUsername,Cohort\r\nalice,"Evening, ""late"""\r\n"dariush","Zahedan\nintake"\r\n'
    report = enrolment_import(course=course, text=text)
    assert report.enrolled == 2
    assert cohort_of(learners[0], course).name == 'Evening, "late"'
    assert set(course.cohorts.values_list("name", flat=True)) == {
        'Evening, "late"', "Zahedan\nintake"}


def test_import_runs_a_fixed_number_of_queries_whatever_the_rows(course):
    def run(n, prefix):
        users = [UserFactory.create(username=f"{prefix}{i}") for i in range(n)]
        text = "username,cohort\n" + "".join(
            f"{u.username},{prefix}-{i % 3}\n" for i, u in enumerate(users))
        with CaptureQueriesContext(connection) as queries:
            enrolment_import(course=course, text=text)
        return len(queries)

    assert run(3, "few") == run(30, "many") <= 10


# --- Service: every bad row is named, nothing is written -----------------------------------


def test_every_bad_row_is_reported_with_its_line_and_nothing_is_written(course, learners):
    CohortFactory.create(course=course, name="Existing")
    long_name = "x" * 101
    problems = problems_of(course, (
        "username,email,cohort\n"
        "alice,,NewCohort\n"                     # 2: fine on its own
        "nobody,,\n"                             # 3: unknown username
        ",ghost@example.com,\n"                  # 4: unknown email
        "bob,carol@example.com,\n"               # 5: different users
        ",,Existing\n"                           # 6: empty identifier
        ",ALICE@example.com,\n"                  # 7: duplicate of line 2
        f"carol,,{long_name}\n"                  # 8: cohort too long
    ))
    assert [line for line, _message in problems] == [3, 4, 5, 6, 7, 8]
    messages = dict(problems)
    assert "unknown user" in messages[3]
    assert "nobody" in messages[3]
    assert "unknown user" in messages[4]
    assert "ghost@example.com" in messages[4]
    assert "belong to different users" in messages[5]
    assert "no username or email" in messages[6]
    assert "duplicate" in messages[7]
    assert "line 2" in messages[7]
    assert "101 characters" in messages[8]
    assert not Cohort.objects.filter(name="NewCohort").exists()


def test_wrong_header_is_reported_on_line_1(course, learners):
    assert problems_of(course, "name,cohort\nalice,Evening\n")[0][0] == 1
    assert "wrong header" in problems_of(course, "name,cohort\nalice,Evening\n")[0][1]
    assert "“username” or an “email” column" in problems_of(course, "cohort\nEvening\n")[0][1]
    assert "more than once" in problems_of(course, "email,email\na@x,b@x\n")[0][1]
    assert "empty" in problems_of(course, "")[0][1]
    assert "no learners" in problems_of(course, "username,cohort\n\n,\n")[0][1]


def test_row_with_more_cells_than_columns_is_refused(course, learners):
    assert problems_of(course, "username\nalice\nbob,Evening\n") == [
        (3, "2 cells, but the header has 1 columns.")]


def test_broken_quoting_names_its_line(course, learners):
    problems = problems_of(course, 'username,cohort\nalice,Evening\nbob,"Morn"ing\n')
    assert problems[0][0] == 3
    assert "unreadable CSV" in problems[0][1]


def test_nul_character_is_refused_before_reaching_the_database(course, learners):
    assert problems_of(course, "username\nalice\nbo\x00b\n") == [
        (3, "the row contains a NUL character.")]


def test_email_shared_by_two_accounts_is_ambiguous_unless_username_is_given(course):
    UserFactory.create(username="twin1", email="twin@example.com")
    UserFactory.create(username="twin2", email="Twin@example.com")
    problems = problems_of(course, "username,email\n,twin@example.com\n")
    assert problems[0][0] == 2
    assert "2 users share the email" in problems[0][1]
    report = enrolment_import(course=course, text="username,email\ntwin2,twin@example.com\n")
    assert report.enrolled == 1


def test_parsing_and_matching_are_pure():
    parsed = parse_enrolment_csv("email,cohort\nA@X.org,One\n")
    assert parsed.rows == [CsvRow(line=2, username="", email="A@X.org", cohort="One")]
    learners, problems = resolve_learners(parsed.rows, [UserKey(7, "a", "a@x.org")])
    assert problems == []
    assert [(lr.line, lr.user_id, lr.cohort) for lr in learners] == [(2, 7, "One")]


# --- Command -------------------------------------------------------------------------------


def test_command_enrols_and_prints_the_summary(course, learners, tmp_path, capsys):
    path = tmp_path / "learners.csv"
    path.write_bytes("\ufeffusername,cohort\nalice,Evening\nbob,\n".encode())
    call_command("enrol_learners", "strikes", str(path))
    out = capsys.readouterr().out
    assert "Enrolled 2 new learners" in out
    assert "0 already enrolled (0 cohort changes)" in out
    assert "cohorts created: Evening" in out
    assert Enrolment.objects.filter(course=course).count() == 2


def test_command_lists_every_problem_and_exits_non_zero_changing_nothing(
    course, learners, tmp_path
):
    path = tmp_path / "learners.csv"
    path.write_text("username,cohort\nalice,Evening\nnobody,\n,Evening\nalice,\n", encoding="utf-8")
    before = counts()
    with pytest.raises(CommandError) as caught:
        call_command("enrol_learners", "strikes", str(path))
    message = str(caught.value)
    assert "nobody was enrolled" in message
    assert "Line 3: unknown user" in message
    assert "Line 4: no username or email" in message
    assert "Line 5: duplicate" in message
    assert counts() == before


def test_command_refuses_bad_utf8_and_unknown_course(course, learners, tmp_path):
    path = tmp_path / "learners.csv"
    path.write_bytes(b"username\nalice\n\xff\xfebob\n")
    with pytest.raises(CommandError, match=r"not valid UTF-8 \(line 3\)"):
        call_command("enrol_learners", "strikes", str(path))
    with pytest.raises(CommandError, match="No course with slug 'nope'"):
        call_command("enrol_learners", "nope", str(path))
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("enrol_learners", "strikes", str(tmp_path / "missing.csv"))
    assert counts() == (0, 0)


# --- Admin ---------------------------------------------------------------------------------


def upload_url(course):
    return reverse("admin:course_course_enrol_learners", args=[course.pk])


def csv_file(content: bytes, name: str = "learners.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="text/csv")


def test_course_change_page_links_to_the_upload_form(instructor_client, course):
    page = instructor_client.get(reverse("admin:course_course_change", args=[course.pk]))
    assert page.status_code == 200
    assert upload_url(course) in page.text
    assert "Enrol learners from CSV" in page.text


def test_instructor_uploads_a_file_and_sees_the_counts(
    instructor_client, course, learners, django_assert_max_num_queries
):
    with django_assert_max_num_queries(12):
        form = instructor_client.get(upload_url(course))
    assert form.status_code == 200
    assert 'enctype="multipart/form-data"' in form.text
    content = b"username,cohort\nalice,Evening\nbob,Evening\ncarol,\n"
    response = instructor_client.post(upload_url(course), {"file": csv_file(content)}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("admin:course_course_change",
                                                     args=[course.pk])
    assert "Enrolled 3 new learners" in response.text
    assert "cohorts created: Evening" in response.text
    assert Enrolment.objects.filter(course=course).count() == 3


def test_upload_with_bad_rows_lists_them_and_changes_nothing(instructor_client, course, learners):
    content = b"username,cohort\nalice,Evening\nnobody,\n"
    response = instructor_client.post(upload_url(course), {"file": csv_file(content)})
    assert response.status_code == 400
    assert "Line 3: unknown user" in response.text
    assert "Nobody was enrolled" in response.text
    assert counts() == (0, 0)


def test_upload_larger_than_1_mb_is_refused(instructor_client, course, learners):
    content = b"username\n" + b"alice\n" * 200_000
    response = instructor_client.post(upload_url(course), {"file": csv_file(content)})
    assert response.status_code == 400
    assert "larger than 1 MB" in response.text
    assert counts() == (0, 0)


def test_upload_that_is_not_utf8_gets_a_clear_error(instructor_client, course, learners):
    content = b"username\n\xe9lodie\n"
    response = instructor_client.post(upload_url(course), {"file": csv_file(content)})
    assert response.status_code == 400
    assert "not valid UTF-8 (line 2)" in response.text


def test_upload_without_a_file_is_a_form_error(instructor_client, course):
    response = instructor_client.post(upload_url(course), {})
    assert response.status_code == 400
    assert "This field is required" in response.text


def test_another_instructors_course_is_404(instructor_client, learners):
    foreign = CourseFactory.create()
    assert instructor_client.get(upload_url(foreign)).status_code == 404
    response = instructor_client.post(upload_url(foreign), {"file": csv_file(b"username\nalice\n")})
    assert response.status_code == 404
    assert counts() == (0, 0)


def test_staff_without_the_enrolment_permission_is_refused(client, course, learners):
    user = UserFactory.create(username="helper", is_staff=True)
    course.instructors.add(user)
    client.force_login(user)
    assert client.get(upload_url(course)).status_code == 403
    assert client.post(upload_url(course),
                       {"file": csv_file(b"username\nalice\n")}).status_code == 403
    assert counts() == (0, 0)


def test_instructor_upload_cannot_name_staff_or_superuser_accounts():
    from course.enrolment_import import EnrolmentImportError, enrolment_import
    from course.models import Enrolment
    from tests.factories import CourseFactory, UserFactory

    course = CourseFactory.create()
    UserFactory.create(username="root", is_superuser=True, is_staff=True)
    UserFactory.create(username="colleague", is_staff=True)
    UserFactory.create(username="learner")
    with pytest.raises(EnrolmentImportError) as excinfo:
        enrolment_import(course=course, text="username\nroot\ncolleague\nlearner\n")
    problems = " ".join(str(p) for p in excinfo.value.problems)
    assert "root" in problems
    assert "colleague" in problems
    assert not Enrolment.objects.exists()
    report = enrolment_import(course=course, text="username\nroot\n", learners_only=False)
    assert report is not None
    assert Enrolment.objects.filter(user__username="root").exists()


def many_unknown(n: int) -> bytes:
    return ("username\n" + "".join(f"nobody{i}\n" for i in range(n))).encode()


def test_upload_with_1000_bad_rows_shows_the_first_50_and_counts_the_rest(
    instructor_client, course, learners, django_assert_max_num_queries
):
    with django_assert_max_num_queries(14):
        response = instructor_client.post(upload_url(course),
                                          {"file": csv_file(many_unknown(1000))})
    assert response.status_code == 400
    assert "because of 1000 problems" in response.text
    assert response.text.count("unknown user") == 50
    assert "Line 51: unknown user" in response.text
    assert "Line 52: unknown user" not in response.text
    assert "…and 950 more problems." in response.text
    assert counts() == (0, 0)


def test_command_lists_the_first_50_problems_and_counts_the_rest(course, tmp_path):
    path = tmp_path / "learners.csv"
    path.write_bytes(many_unknown(1000))
    with pytest.raises(CommandError) as caught:
        call_command("enrol_learners", "strikes", str(path))
    message = str(caught.value)
    assert "1000 problem(s)" in message
    assert message.count("unknown user") == 50
    assert message.endswith("…and 950 more problems.")
    assert counts() == (0, 0)
