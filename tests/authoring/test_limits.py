"""How many questions a quiz holds and one import adds, wherever questions come in."""

from __future__ import annotations

import re
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from authoring.importers import GIFT, ImportFailed, questions_import
from quizzes.models import Choice, Question
from tests.factories import CourseFactory, QuestionFactory, QuizFactory, UserFactory, make_question

pytestmark = pytest.mark.django_db


def gift(n: int) -> str:
    return "\n\n".join(f"::Q{i}::Question {i}? {{=right ~wrong}}" for i in range(n))


def rows() -> tuple[int, int]:
    return Question.objects.count(), Choice.objects.count()


@pytest.fixture
def instructor(client):
    user = UserFactory.create(username="teacher", is_staff=True)
    user.groups.add(Group.objects.get(name="Instructors"))
    client.force_login(user)
    return user


@pytest.fixture
def course(instructor):
    course = CourseFactory.create()
    course.instructors.add(instructor)
    return course


# --------------------------------------------------------------------------- the defaults


def test_the_documented_defaults(settings):
    assert settings.QUIZ_MAX_QUESTIONS == 500
    assert settings.QUIZ_MAX_QUESTIONS_PER_IMPORT == 200


# --------------------------------------------------------------------------- GIFT / Aiken import


def test_command_import_over_the_limit_creates_nothing_and_names_the_limit(tmp_path):
    QuizFactory.create(slug="checkpoint")
    path = tmp_path / "bank.gift"
    path.write_text(gift(201), encoding="utf-8")
    before = rows()
    with pytest.raises(CommandError) as caught:
        call_command("import_questions", "checkpoint", str(path))
    message = str(caught.value)
    assert "Nothing was imported" in message
    assert "201 questions" in message
    assert "at most 200" in message
    assert rows() == before


def test_command_import_of_exactly_the_limit_is_accepted(tmp_path):
    quiz = QuizFactory.create(slug="checkpoint")
    path = tmp_path / "bank.gift"
    path.write_text(gift(200), encoding="utf-8")
    call_command("import_questions", "checkpoint", str(path), stdout=StringIO())
    assert quiz.questions.count() == 200


def test_admin_upload_over_the_limit_creates_nothing_and_names_the_limit(client, course):
    quiz = QuizFactory.create(course=course)
    before = rows()
    response = client.post(
        reverse("admin:quizzes_quiz_import", args=[quiz.pk]),
        {"file": SimpleUploadedFile("bank.gift", gift(201).encode()), "format": GIFT},
    )
    assert response.status_code == 200
    assert "Nothing was imported" in response.text
    assert "The file holds 201 questions; one import adds at most 200." in response.text
    assert rows() == before


def test_aiken_import_over_the_limit_creates_nothing(settings):
    settings.QUIZ_MAX_QUESTIONS_PER_IMPORT = 2
    quiz = QuizFactory.create()
    aiken = "\n\n".join(f"Q{i}?\nA. yes\nB. no\nANSWER: A" for i in range(3))
    with pytest.raises(ImportFailed, match="holds 3 questions; one import adds at most 2"):
        questions_import(quiz=quiz, text=aiken, fmt="aiken")
    assert rows() == (0, 0)


def test_an_oversized_file_is_refused_before_it_is_parsed(settings, monkeypatch):
    settings.QUIZ_MAX_QUESTIONS_PER_IMPORT = 10
    import authoring.importers

    def fail(*args, **kwargs):
        raise AssertionError("parsed a file over the limit")

    monkeypatch.setattr(authoring.importers, "_gift_question", fail)
    with pytest.raises(ImportFailed, match="holds 11 questions"):
        questions_import(quiz=QuizFactory.create(), text=gift(11), fmt=GIFT)


def test_import_that_would_pass_the_quiz_limit_creates_nothing(settings):
    settings.QUIZ_MAX_QUESTIONS = 5
    quiz = QuizFactory.create()
    for _ in range(4):
        make_question(quiz)
    before = rows()
    with pytest.raises(ImportFailed) as caught:
        questions_import(quiz=quiz, text=gift(2), fmt=GIFT)
    assert str(caught.value) == (
        "A quiz holds at most 5 questions; this one has 4, so 2 more cannot be added. "
        "Put them in another quiz."
    )
    assert rows() == before
    questions_import(quiz=quiz, text=gift(1), fmt=GIFT)
    assert quiz.questions.count() == 5


def test_admin_upload_into_a_full_quiz_names_the_quiz_limit(client, course, settings):
    settings.QUIZ_MAX_QUESTIONS = 3
    quiz = QuizFactory.create(course=course)
    for _ in range(3):
        make_question(quiz)
    response = client.post(
        reverse("admin:quizzes_quiz_import", args=[quiz.pk]),
        {"file": SimpleUploadedFile("one.gift", gift(1).encode()), "format": GIFT},
    )
    assert "A quiz holds at most 3 questions; this one has 3" in response.text
    assert quiz.questions.count() == 3


def test_admin_upload_lists_the_first_50_problems_and_counts_the_rest(client, course):
    quiz = QuizFactory.create(course=course)
    broken = "\n\n".join(f"Q{i}? {{=a ~b" for i in range(120))
    response = client.post(
        reverse("admin:quizzes_quiz_import", args=[quiz.pk]),
        {"file": SimpleUploadedFile("broken.gift", broken.encode()), "format": GIFT},
    )
    assert response.text.count("is not closed with") == 50
    assert "…and 70 more problems." in response.text
    assert quiz.questions.count() == 0


def test_command_lists_the_first_50_problems_and_counts_the_rest(tmp_path):
    QuizFactory.create(slug="checkpoint")
    path = tmp_path / "broken.gift"
    path.write_text("\n\n".join(f"Q{i}? {{=a ~b" for i in range(120)), encoding="utf-8")
    with pytest.raises(CommandError) as caught:
        call_command("import_questions", "checkpoint", str(path))
    assert str(caught.value).count("is not closed with") == 50
    assert "…and 70 more problems." in str(caught.value)


# --------------------------------------------------------------------------- admin forms


def question_form(quiz, key="extra"):
    return {
        "quiz": quiz.pk, "key": key, "order": 99, "kind": "single", "text": "One more?",
        "points": "1", "is_active": "on", "explanation": "", "section_anchor": "",
        "choices-TOTAL_FORMS": "2", "choices-INITIAL_FORMS": "0",
        "choices-MIN_NUM_FORMS": "0", "choices-MAX_NUM_FORMS": "1000",
        "choices-0-order": "0", "choices-0-text": "Right", "choices-0-is_correct": "on",
        "choices-0-credit": "", "choices-0-feedback": "",
        "choices-1-order": "1", "choices-1-text": "Wrong",
        "choices-1-credit": "", "choices-1-feedback": "",
    }


def test_quiz_at_the_limit_refuses_one_more_question_in_the_admin(client, course, settings):
    settings.QUIZ_MAX_QUESTIONS = 3
    quiz = QuizFactory.create(course=course)
    for _ in range(3):
        make_question(quiz)
    response = client.post(reverse("admin:quizzes_question_add"), question_form(quiz))
    assert response.status_code == 200
    assert "A quiz holds at most 3 questions; this one has 3" in response.text
    assert quiz.questions.count() == 3
    quiz.questions.earliest("pk").delete()
    response = client.post(reverse("admin:quizzes_question_add"), question_form(quiz))
    assert response.status_code == 302
    assert quiz.questions.count() == 3


def test_a_question_cannot_be_moved_into_a_full_quiz(client, course, settings):
    settings.QUIZ_MAX_QUESTIONS = 2
    full = QuizFactory.create(course=course)
    for _ in range(2):
        make_question(full)
    question = make_question(QuizFactory.create(course=course), key="mover")
    response = client.post(reverse("admin:quizzes_question_change", args=[question.pk]),
                           {**question_form(full, key="mover"), "choices-INITIAL_FORMS": "0"})
    assert "A quiz holds at most 2 questions" in response.text
    assert full.questions.count() == 2


def quiz_form(quiz, n_new=0, **overrides):
    data = {
        "course": quiz.course_id, "lesson": "", "slug": quiz.slug, "title": quiz.title,
        "description": "", "order": 0, "pass_mark": "70", "weight": "1",
        "grading_method": "highest", "last_verified": "", "attempt_delay_minutes": "0",
        "review_score": "immediately", "review_answers": "immediately",
        "review_feedback": "immediately",
    }
    questions = list(quiz.questions.order_by("order")) if quiz.pk else []
    data.update({"questions-TOTAL_FORMS": str(len(questions) + n_new),
                 "questions-INITIAL_FORMS": str(len(questions)),
                 "questions-MIN_NUM_FORMS": "0", "questions-MAX_NUM_FORMS": "1000"})
    for index, question in enumerate(questions):
        data.update({f"questions-{index}-{k}": v for k, v in {
            "id": question.pk, "quiz": quiz.pk, "order": question.order, "key": question.key,
            "kind": question.kind, "text": question.text, "points": "1", "is_active": "on",
        }.items()})
    for index in range(len(questions), len(questions) + n_new):
        data.update({f"questions-{index}-quiz": quiz.pk, f"questions-{index}-order": index,
                     f"questions-{index}-key": f"new-{index}",
                     f"questions-{index}-kind": "single",
                     f"questions-{index}-text": "New?", f"questions-{index}-points": "1",
                     f"questions-{index}-is_active": "on"})
    data.update(overrides)
    return data


def test_quiz_at_the_limit_refuses_one_more_inline_question(client, course, settings):
    settings.QUIZ_MAX_QUESTIONS = 3
    quiz = QuizFactory.create(course=course, is_published=False)
    for _ in range(2):
        make_question(quiz)
    url = reverse("admin:quizzes_quiz_change", args=[quiz.pk])
    response = client.post(url, quiz_form(quiz, n_new=2))
    assert response.status_code == 200
    assert "A quiz holds at most 3 questions; this one has 2, so 2 more cannot be added." \
        in response.text
    assert quiz.questions.count() == 2
    assert client.post(url, quiz_form(quiz, n_new=1)).status_code == 302
    assert quiz.questions.count() == 3


# --------------------------------------------------------------------------- admin pages


def bulk_questions(quiz, n):
    QuestionFactory.create_batch(n, quiz=quiz)


def test_quiz_change_page_with_300_questions_links_to_the_filtered_list(
    client, course, django_assert_max_num_queries
):
    quiz = QuizFactory.create(course=course, is_published=False)
    bulk_questions(quiz, 300)
    with django_assert_max_num_queries(12):
        page = client.get(reverse("admin:quizzes_quiz_change", args=[quiz.pk]))
    assert page.status_code == 200
    assert 'name="questions-TOTAL_FORMS"' not in page.text
    changelist = reverse("admin:quizzes_question_changelist")
    assert f'href="{changelist}?quiz__id__exact={quiz.pk}"' in page.text
    assert "300 questions" in page.text


def test_quiz_change_page_query_count_does_not_grow_with_questions(client, course):
    small = QuizFactory.create(course=course)
    bulk_questions(small, 60)
    large = QuizFactory.create(course=course)
    bulk_questions(large, 600)
    counts = []
    for quiz in (small, large):
        with CaptureQueriesContext(connection) as captured:
            page = client.get(reverse("admin:quizzes_quiz_change", args=[quiz.pk]))
        assert page.status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1]


def test_quiz_with_few_questions_keeps_the_inline_and_the_link(client, course):
    quiz = QuizFactory.create(course=course)
    for _ in range(3):
        make_question(quiz)
    page = client.get(reverse("admin:quizzes_quiz_change", args=[quiz.pk])).text
    assert 'name="questions-TOTAL_FORMS" value="3"' in page
    assert f"?quiz__id__exact={quiz.pk}" in page
    assert "3 questions" in page


def test_a_large_quiz_saves_without_inline_data_and_stays_answerable(client, course):
    quiz = QuizFactory.create(course=course, is_published=False)
    bulk_questions(quiz, 60)  # no choices: none of them can be answered
    url = reverse("admin:quizzes_quiz_change", args=[quiz.pk])
    data = {k: v for k, v in quiz_form(quiz).items() if not k.startswith("questions-")}
    response = client.post(url, {**data, "title": "Renamed"})
    assert response.status_code == 302
    quiz.refresh_from_db()
    assert quiz.title == "Renamed"
    refused = client.post(url, {**data, "is_published": "on"})
    assert "This quiz cannot be published yet" in refused.text
    quiz.refresh_from_db()
    assert not quiz.is_published


def test_question_list_filtered_to_a_quiz_shows_its_questions_in_bounded_queries(
    client, course, django_assert_max_num_queries
):
    quiz = QuizFactory.create(course=course)
    bulk_questions(quiz, 300)
    other = make_question(QuizFactory.create(course=course), key="elsewhere")
    url = reverse("admin:quizzes_question_changelist") + f"?quiz__id__exact={quiz.pk}"
    with django_assert_max_num_queries(12):
        page = client.get(url)
    assert page.status_code == 200
    assert "300 questions" in page.text
    assert other.key not in page.text


def test_adding_a_question_from_the_filtered_list_starts_in_that_quiz(client, course):
    quiz = QuizFactory.create(course=course, title="Chosen quiz")
    page = client.get(reverse("admin:quizzes_question_add") + f"?quiz={quiz.pk}").text
    assert re.search(rf'<option value="{quiz.pk}" selected>', page)


# --------------------------------------------------------------------------- course loader


QUIZ_HEADER = "slug: big-check\ntitle: Big check\nquestions:\n"
QUESTION = """  - key: q{n}
    kind: single
    text: Which {n}?
    choices:
      - {{text: Right, correct: true}}
      - {{text: Wrong}}
"""


def course_dir(tmp_path: Path, keys: range) -> Path:
    (tmp_path / "lessons").mkdir(exist_ok=True)
    (tmp_path / "quizzes").mkdir(exist_ok=True)
    (tmp_path / "course.yaml").write_text("slug: demo\ntitle: Demo\nsummary: S.\n")
    (tmp_path / "quizzes" / "01-big.yaml").write_text(
        QUIZ_HEADER + "".join(QUESTION.format(n=n) for n in keys)
    )
    return tmp_path


def test_loader_refuses_a_quiz_over_the_limit_and_loads_nothing(tmp_path, settings):
    settings.QUIZ_MAX_QUESTIONS = 5
    with pytest.raises(CommandError, match=r"01-big\.yaml: 6 questions; a quiz holds at most 5"):
        call_command("load_course", str(course_dir(tmp_path, range(6))))
    assert rows() == (0, 0)


def test_loader_counts_retired_questions_towards_the_limit(tmp_path, settings):
    settings.QUIZ_MAX_QUESTIONS = 5
    call_command("load_course", str(course_dir(tmp_path, range(4))), stdout=StringIO())
    before = rows()
    with pytest.raises(CommandError, match=r"would hold 6 questions.*at most 5"):
        call_command("load_course", str(course_dir(tmp_path, range(2, 6))), stdout=StringIO())
    assert rows() == before
    call_command("load_course", str(course_dir(tmp_path, range(1, 5))), stdout=StringIO())
    assert Question.objects.count() == 5
