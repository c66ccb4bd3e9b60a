from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from authoring.importers import (
    AIKEN,
    GIFT,
    ImportFailed,
    parse_aiken,
    parse_gift,
    questions_import,
)
from course.uploads import MAX_UPLOAD_BYTES, decode_text
from quizzes import scoring
from quizzes.models import Choice, Question, QuestionKind
from tests.factories import CourseFactory, QuizFactory, UserFactory, make_question

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).parent / "fixtures_gift"


def rows() -> tuple[int, int]:
    return Question.objects.count(), Choice.objects.count()


def imported(quiz, text, fmt=GIFT, **kwargs):
    report = questions_import(quiz=quiz, text=text, fmt=fmt, **kwargs)
    return report, list(quiz.questions.order_by("order").prefetch_related("choices"))


def choices_of(question):
    return [(c.text, c.is_correct, c.credit, c.feedback) for c in question.choices.all()]


def fraction(question, chosen_texts):
    specs = [scoring.ChoiceSpec(c.pk, c.is_correct, c.credit) for c in question.choices.all()]
    credits = scoring.effective_credits(question.kind, specs)
    chosen = [c.pk for c in question.choices.all() if c.text in chosen_texts]
    return scoring.question_fraction(question.kind, credits, chosen)


# --------------------------------------------------------------------------- GIFT


def test_gift_multiple_choice_stores_the_right_answer_and_choice_feedback():
    quiz = QuizFactory.create()
    report, [question] = imported(quiz, (
        "::Grants tomb::Who is buried in Grant's tomb in New York City? {\n"
        "=Grant\n"
        "~No one\n"
        "#Was true for 12 years\n"
        "~Napoleon#He was buried in France\n"
        "}\n"
    ))
    assert report.imported == 1
    assert question.key == "grants-tomb"
    assert question.kind == QuestionKind.SINGLE
    assert question.text == "Who is buried in Grant's tomb in New York City?"
    assert question.points == Decimal(1)
    assert choices_of(question) == [
        ("Grant", True, None, ""),
        ("No one", False, None, "Was true for 12 years"),
        ("Napoleon", False, None, "He was buried in France"),
    ]


def test_gift_weights_make_a_multiple_answer_question_with_negative_credits():
    quiz = QuizFactory.create()
    _report, [question] = imported(quiz, (
        "What two people are entombed in Grant's tomb? {\n"
        "   ~%-100%No one\n"
        "   ~%50%Grant\n"
        "   ~%50%Grant's wife\n"
        "   ~%-100%Grant's father\n"
        "}\n"
    ))
    assert question.kind == QuestionKind.MULTIPLE
    assert choices_of(question) == [
        ("No one", False, Decimal(-100), ""),
        ("Grant", True, Decimal(50), ""),
        ("Grant's wife", True, Decimal(50), ""),
        ("Grant's father", False, Decimal(-100), ""),
    ]
    assert fraction(question, {"Grant", "Grant's wife"}) == 1
    assert fraction(question, {"Grant", "No one"}) == 0


def test_gift_unweighted_wrong_choice_of_a_multiple_answer_question_is_worth_zero():
    quiz = QuizFactory.create()
    _report, [question] = imported(
        quiz, "Pick the provinces on the border. {~%50%Balochistan ~%50%Sistan ~Punjab}"
    )
    assert question.kind == QuestionKind.MULTIPLE
    assert choices_of(question)[2] == ("Punjab", False, Decimal(0), "")
    assert fraction(question, {"Balochistan", "Punjab"}) == Decimal("0.5")


def test_gift_thirds_add_up_to_full_credit():
    quiz = QuizFactory.create()
    _report, [question] = imported(
        quiz, "Pick three. {~%33.33333%a ~%33.33333%b ~%33.33333%c ~%-100%d}"
    )
    assert fraction(question, {"a", "b", "c"}) == 1


def test_gift_single_answer_keeps_partial_credit_of_a_weighted_wrong_choice():
    quiz = QuizFactory.create()
    _report, [question] = imported(quiz, "When? {=16 January 2024 ~%50%January 2024 ~2023}")
    assert question.kind == QuestionKind.SINGLE
    assert choices_of(question) == [
        ("16 January 2024", True, None, ""),
        ("January 2024", False, Decimal(50), ""),
        ("2023", False, None, ""),
    ]
    assert fraction(question, {"January 2024"}) == Decimal("0.5")


@pytest.mark.parametrize(
    ("answer", "right"), [("T", "True"), ("TRUE", "True"), ("F", "False"), ("FALSE", "False")]
)
def test_gift_true_false_question_has_true_and_false_choices(answer, right):
    quiz = QuizFactory.create()
    _report, [question] = imported(quiz, f"The strikes happened in 2024. {{{answer}}}")
    assert question.kind == QuestionKind.TRUE_FALSE
    assert [(c.text, c.is_correct) for c in question.choices.all()] == [
        ("True", right == "True"), ("False", right == "False"),
    ]


def test_gift_true_false_feedback_goes_to_the_wrong_and_the_right_choice():
    quiz = QuizFactory.create()
    _report, [true_q, false_q] = imported(quiz, (
        "::TrueStatement::Grant was buried in a tomb in New York City."
        "{T#No, he was.#Yes.####He was buried there in 1897.}\n"
        "\n"
        "::FalseStatement::The sun rises in the West.{FALSE#No, in the East.#Right.}\n"
    ))
    assert true_q.explanation == "He was buried there in 1897."
    assert choices_of(true_q) == [("True", True, None, "Yes."), ("False", False, None,
                                                                  "No, he was.")]
    assert false_q.explanation == ""
    assert choices_of(false_q) == [("True", False, None, "No, in the East."),
                                   ("False", True, None, "Right.")]


def test_gift_general_feedback_becomes_the_explanation():
    quiz = QuizFactory.create()
    _report, [question] = imported(
        quiz, "Which province? {=Balochistan ~Sindh ####See the **map** in lesson 1.}"
    )
    assert question.explanation == "See the **map** in lesson 1."
    assert [c.text for c in question.choices.all()] == ["Balochistan", "Sindh"]


def test_gift_titles_become_keys_unique_within_the_quiz():
    quiz = QuizFactory.create()
    make_question(quiz, key="border")
    _report, questions = imported(quiz, (
        "::Border::Which border? {=Iran ~India}\n\n"
        "::Border::Which border again? {=Iran ~India}\n\n"
        "No title here? {=yes ~no}\n"
    ))
    assert [q.key for q in questions] == ["border", "border-2", "border-3", "imported-1"]


def test_imported_questions_go_after_the_existing_ones():
    quiz = QuizFactory.create()
    existing = make_question(quiz, order=7)
    _report, questions = imported(quiz, "First? {=a ~b}\n\nSecond? {=a ~b}")
    assert questions[0] == existing
    assert [q.order for q in questions[1:]] == [8, 9]
    assert [q.text for q in questions[1:]] == ["First?", "Second?"]


def test_gift_markdown_text_is_stored_as_written():
    quiz = QuizFactory.create()
    _report, [question] = imported(quiz, "::Md::[markdown]Is **Quetta** the _capital_? {T}")
    assert question.text == "Is **Quetta** the _capital_?"


def test_gift_html_text_loses_its_tags_and_keeps_its_words():
    quiz = QuizFactory.create()
    _report, [question] = imported(quiz, (
        "[html]<p>Is <b>Quetta</b> &amp; <i>only</i> Quetta the capital?</p>"
        "<script>alert(1)</script>{=<b>Yes</b> ~No}"
    ))
    assert question.text == "Is Quetta & only Quetta the capital?"
    assert "script" not in question.text
    assert "alert" not in question.text
    assert [c.text for c in question.choices.all()] == ["Yes", "No"]


def test_gift_plain_text_is_escaped_so_markdown_shows_it_as_written():
    quiz = QuizFactory.create()
    _report, [question] = imported(quiz, "[plain]Is 2*3*4 = 24 and <b> a tag? {=yes ~no}")
    assert question.text == "Is 2\\*3\\*4 = 24 and &lt;b> a tag?"


def test_gift_comments_and_categories_are_ignored():
    quiz = QuizFactory.create()
    report, [question] = imported(quiz, (
        "// a comment before\n"
        "$CATEGORY: tom/first\n"
        "\n"
        "Which? {\n"
        "// a comment inside the answers\n"
        "=a\n"
        "~b\n"
        "}\n"
    ))
    assert [c.text for c in question.choices.all()] == ["a", "b"]
    assert [(n.line, "tom/first" in n.message) for n in report.notes] == [(2, True)]


def test_gift_escaped_characters_are_kept_as_text():
    quiz = QuizFactory.create()
    _report, [question] = imported(quiz, (
        "::Escapes\\: all::Is 1 \\= 1, a \\~ b, \\# and \\{x\\}?\\nSay so. {\n"
        "=Yes \\= right#Because \\~ is \\#1\n"
        "~No\n"
        "}"
    ))
    assert question.key == "escapes-all"
    assert question.text == "Is 1 = 1, a ~ b, # and {x}?\nSay so."
    assert choices_of(question)[0] == ("Yes = right", True, None, "Because ~ is #1")


def test_gift_moodle_examples_file_imports_every_question():
    quiz = QuizFactory.create()
    report, questions = imported(quiz, (FIXTURES / "moodle_examples.gift").read_text("utf-8"))
    assert report.imported == 4
    assert [q.kind for q in questions] == ["single", "multiple", "true_false", "single"]
    assert [q.key for q in questions] == ["grants-tomb", "imported-1", "truestatement",
                                          "escapes"]
    assert questions[3].text == "Which is **true**: 1 = 1, a ~ b, # tag, {braces}?"
    assert choices_of(questions[3])[1] == ("a ~ b means approximately", False, None,
                                           "Not = here")


def test_parser_is_pure(django_assert_num_queries):
    text = (FIXTURES / "moodle_examples.gift").read_text("utf-8")
    with django_assert_num_queries(0):
        result = parse_gift(text)
    assert len(result.questions) == 4
    assert result.problems == ()


def test_import_runs_a_fixed_number_of_queries(django_assert_max_num_queries):
    quiz = QuizFactory.create()
    text = "\n\n".join(f"::Q{n}::Question {n}? {{=a ~b ~c}}" for n in range(30))
    with django_assert_max_num_queries(6):
        report = questions_import(quiz=quiz, text=text, fmt=GIFT)
    assert report.imported == 30
    assert Choice.objects.filter(question__quiz=quiz).count() == 90


# --------------------------------------------------------------------------- Aiken


def test_aiken_questions_are_single_answer_with_the_named_right_option():
    quiz = QuizFactory.create()
    report, questions = imported(quiz, (FIXTURES / "aiken.txt").read_text("utf-8"), fmt=AIKEN)
    assert report.imported == 2
    assert [q.kind for q in questions] == ["single", "single"]
    assert [q.key for q in questions] == ["imported-1", "imported-2"]
    assert questions[0].text == "Which province of Pakistan borders Iran?"
    assert [(c.text, c.is_correct) for c in questions[0].choices.all()] == [
        ("Punjab", False), ("Balochistan", True), ("Sindh", False),
    ]
    assert [(c.text, c.is_correct) for c in questions[1].choices.all()] == [
        ("Sistan and Baluchestan", True), ("Khuzestan", False),
    ]


# --------------------------------------------------------------------------- broken files


@pytest.mark.parametrize(
    ("fmt", "text", "line", "message"),
    [
        (GIFT, "Good? {=a ~b}\n\nBad one {\n=a\n~b\n", 3, "not closed"),
        (GIFT, "Good? {=a ~b}\n\nChoice? {\n=a\n~\n~c}\n", 5, "choice has no text"),
        (GIFT, "Nobody right? {\n~a\n~b\n}", 1, "no right answer"),
        (GIFT, "Two right? {=a =b ~c}", 1, "exactly one choice with 100% credit"),
        (GIFT, "Half? {~%50%a ~b ~c}", 1, "exactly one choice with 100% credit"),
        (GIFT, "Weight? {~%150%a =b}", 1, "between -100 and 100"),
        (GIFT, "::Unclosed title {=a ~b}", 1, "title is not closed"),
        (GIFT, "Brace } first {=a ~b}", 1, "without an opening"),
        (GIFT, "Nested {=a {~b}", 1, "inside an answer block"),
        (GIFT, "{=a ~b}", 1, "no text before its answer block"),
        (GIFT, "", 1, "empty"),
        (GIFT, "// only a comment\n", 1, "no question"),
        (AIKEN, "Q?\nA. a\nB. b\n\nNext?\nA. x\nB. y\nANSWER: A\n", 1, "no “ANSWER:” line"),
        (AIKEN, "Q?\nA. a\nB. b\n", 1, "no “ANSWER:” line"),
        (AIKEN, "Q?\nA. a\nB. b\nANSWER: D\n", 4, "not one of the options (A, B)"),
        (AIKEN, "Q?\nA. a\nB.\nANSWER: A\n", 3, "option B has no text"),
        (AIKEN, "Q?\nA. only\nANSWER: A\n", 1, "at least two choices"),
        (AIKEN, "Q?\nANSWER: A\n", 2, "before any option"),
        (AIKEN, "   \n\n", 1, "empty"),
    ],
)
def test_broken_file_names_the_line_at_fault_and_imports_nothing(fmt, text, line, message):
    quiz = QuizFactory.create()
    make_question(quiz)
    before = rows()
    with pytest.raises(ImportFailed) as failure:
        questions_import(quiz=quiz, text=text, fmt=fmt)
    assert rows() == before
    assert any(p.line == line and message in p.message for p in failure.value.problems), (
        failure.value.problems
    )
    assert f"Line {line}:" in str(failure.value)


def test_utf8_with_bom_and_windows_line_ends_is_read():
    result = parse_gift(decode_text("\ufeffQ? {=a ~b}\r\n\r\nQ2? {T}\r\n".encode()))
    assert [q.text for q in result.questions] == ["Q?", "Q2?"]
    assert result.problems == ()


# --------------------------------------------------------------------------- unsupported


def test_unsupported_types_are_reported_with_their_lines():
    result = parse_gift((FIXTURES / "unsupported.gift").read_text("utf-8") + (
        "\nMatch {=Quetta -> Balochistan =Zahedan -> Sistan}\n"
        "\nWrite an essay. {}\n"
        "\nA description without answers.\n"
        "\nThe {~north =south} of Iran.\n"
    ))
    assert [q.title for q in result.questions] == ["Capital"]
    assert result.errors == ()
    found = [(p.line, p.message.split(" ")[0]) for p in result.unsupported]
    assert found == [(3, "Missing-word"), (5, "Numerical"), (7, "Short-answer"),
                     (9, "Matching"), (11, "Essay"), (13, "Description"),
                     (15, "Missing-word")]


def test_unsupported_question_fails_the_whole_import_by_default():
    quiz = QuizFactory.create()
    before = rows()
    with pytest.raises(ImportFailed) as failure:
        questions_import(quiz=quiz, text=(FIXTURES / "unsupported.gift").read_text("utf-8"),
                         fmt=GIFT)
    assert rows() == before
    assert [p.line for p in failure.value.problems] == [3, 5, 7]


def test_skip_unsupported_imports_the_rest_and_lists_the_skipped():
    quiz = QuizFactory.create()
    report = questions_import(quiz=quiz, text=(FIXTURES / "unsupported.gift").read_text("utf-8"),
                              fmt=GIFT, skip_unsupported=True)
    assert [q.key for q in quiz.questions.all()] == ["capital"]
    assert [p.line for p in report.skipped] == [3, 5, 7]


def test_skip_unsupported_still_refuses_a_malformed_file():
    quiz = QuizFactory.create()
    with pytest.raises(ImportFailed):
        questions_import(quiz=quiz, text="Essay {}\n\nBroken {=a ~b", fmt=GIFT,
                         skip_unsupported=True)
    assert quiz.questions.count() == 0


def test_aiken_parser_reports_every_problem_and_returns_no_question():
    result = parse_aiken("Q?\nA. a\nA. again\nANSWER: A\n\nQ2?\nA. x\nB. y\nANSWER: B\n")
    assert result.questions == ()
    assert [(p.line, p.message) for p in result.problems] == [(3, "option A appears twice.")]


# --------------------------------------------------------------------------- command


def test_command_imports_a_gift_file(capsys):
    quiz = QuizFactory.create(slug="checkpoint")
    call_command("import_questions", "checkpoint", str(FIXTURES / "moodle_examples.gift"))
    out, err = capsys.readouterr()
    assert "Imported 4 questions" in out
    assert "category" in err
    assert quiz.questions.count() == 4


def test_command_imports_an_aiken_file_into_the_named_course():
    QuizFactory.create(slug="checkpoint")
    quiz = QuizFactory.create(slug="checkpoint", course=CourseFactory.create(slug="mine"))
    call_command("import_questions", "checkpoint", str(FIXTURES / "aiken.txt"),
                 "--format", "aiken", "--course", "mine")
    assert quiz.questions.count() == 2


def test_command_fails_naming_the_line_and_imports_nothing(tmp_path):
    QuizFactory.create(slug="checkpoint")
    path = tmp_path / "broken.gift"
    path.write_text("Good? {=a ~b}\n\nBad {\n=a\n~b\n", encoding="utf-8")
    before = rows()
    with pytest.raises(CommandError, match=r"Nothing was imported\.\n.*broken\.gift: Line 3:"):
        call_command("import_questions", "checkpoint", str(path))
    assert rows() == before


def test_command_refuses_bad_utf8(tmp_path):
    QuizFactory.create(slug="checkpoint")
    path = tmp_path / "latin1.gift"
    path.write_bytes("Q? {=caf\u00e9 ~b}".encode("latin-1"))
    with pytest.raises(CommandError, match="Line 1: the file is not UTF-8"):
        call_command("import_questions", "checkpoint", str(path))
    assert Question.objects.count() == 0


def test_command_skip_unsupported_lists_the_skipped(capsys):
    quiz = QuizFactory.create(slug="checkpoint")
    call_command("import_questions", "checkpoint", str(FIXTURES / "unsupported.gift"),
                 "--skip-unsupported")
    out, err = capsys.readouterr()
    assert "Imported 1 questions" in out
    assert "skipped: Line 5: Numerical" in err
    assert quiz.questions.count() == 1


def test_command_names_a_missing_quiz_or_file(tmp_path):
    with pytest.raises(CommandError, match="No quiz with slug 'nope'"):
        call_command("import_questions", "nope", str(FIXTURES / "aiken.txt"))
    QuizFactory.create(slug="checkpoint")
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("import_questions", "checkpoint", str(tmp_path / "missing.gift"))


# --------------------------------------------------------------------------- admin upload


@pytest.fixture
def instructor(client):
    user = UserFactory.create(username="teacher", is_staff=True)
    user.groups.add(Group.objects.get(name="Instructors"))
    client.force_login(user)
    return user


@pytest.fixture
def my_quiz(instructor):
    course = CourseFactory.create()
    course.instructors.add(instructor)
    return QuizFactory.create(course=course)


def upload(name, content, **fields):
    return {"file": SimpleUploadedFile(name, content), "format": GIFT, **fields}


def import_url(quiz):
    return reverse("admin:quizzes_quiz_import", args=[quiz.pk])


def test_quiz_change_page_links_to_the_import_form(client, my_quiz):
    page = client.get(reverse("admin:quizzes_quiz_change", args=[my_quiz.pk]))
    assert import_url(my_quiz) in page.text
    assert "Import questions (GIFT/Aiken)" in page.text


def test_import_form_page_runs_a_fixed_number_of_queries(
    client, my_quiz, django_assert_max_num_queries
):
    with django_assert_max_num_queries(8):
        page = client.get(import_url(my_quiz))
    assert page.status_code == 200
    assert 'enctype="multipart/form-data"' in page.text


def test_admin_upload_imports_and_redirects_to_the_quiz(client, my_quiz):
    response = client.post(import_url(my_quiz), upload(
        "q.gift", (FIXTURES / "moodle_examples.gift").read_bytes()
    ), follow=True)
    assert response.redirect_chain[-1][0] == reverse("admin:quizzes_quiz_change",
                                                     args=[my_quiz.pk])
    assert "Imported 4 questions." in response.text
    assert my_quiz.questions.count() == 4


def test_admin_upload_of_aiken_file(client, my_quiz):
    response = client.post(import_url(my_quiz), upload(
        "q.txt", (FIXTURES / "aiken.txt").read_bytes(), format=AIKEN
    ))
    assert response.status_code == 302
    assert my_quiz.questions.count() == 2


def test_admin_upload_shows_the_lines_at_fault_and_imports_nothing(client, my_quiz):
    before = rows()
    response = client.post(import_url(my_quiz), upload("q.gift", b"Q? {=a ~b}\n\nBad {=a ~b\n"))
    assert response.status_code == 200
    assert "Nothing was imported" in response.text
    assert "Line 3: the answer block opened here is not closed" in response.text
    assert rows() == before


def test_admin_upload_can_skip_unsupported_questions(client, my_quiz):
    content = (FIXTURES / "unsupported.gift").read_bytes()
    refused = client.post(import_url(my_quiz), upload("q.gift", content))
    assert "Line 5: Numerical questions are not supported." in refused.text
    assert my_quiz.questions.count() == 0
    response = client.post(import_url(my_quiz), upload("q.gift", content,
                                                       skip_unsupported="on"), follow=True)
    assert "Imported 1 question." in response.text
    assert "Skipped: Line 5" in response.text
    assert my_quiz.questions.count() == 1


def test_admin_upload_refuses_a_file_over_1_mb(client, my_quiz):
    content = b"Q? {=a ~b}\n\n" + b"// padding\n" * (MAX_UPLOAD_BYTES // 11)
    assert len(content) > MAX_UPLOAD_BYTES
    response = client.post(import_url(my_quiz), upload("big.gift", content))
    assert response.status_code == 200
    assert "larger than 1 MB" in response.text
    assert my_quiz.questions.count() == 0


def test_admin_upload_refuses_a_file_that_is_not_utf8(client, my_quiz):
    response = client.post(import_url(my_quiz), upload("q.gift", b"Q? {=caf\xe9 ~b}"))
    assert response.status_code == 200
    assert "Line 1: the file is not UTF-8 text" in response.text
    assert my_quiz.questions.count() == 0


def test_admin_upload_into_a_foreign_course_quiz_is_404(client, instructor):
    foreign = QuizFactory.create()
    assert client.get(import_url(foreign)).status_code == 404
    response = client.post(import_url(foreign), upload("q.gift", b"Q? {=a ~b}"))
    assert response.status_code == 404
    assert foreign.questions.count() == 0


def test_admin_upload_needs_the_add_question_permission(client, my_quiz, instructor):
    instructor.groups.clear()
    instructor.user_permissions.add(
        *Group.objects.get(name="Instructors").permissions.exclude(codename="add_question")
    )
    response = client.post(import_url(my_quiz), upload("q.gift", b"Q? {=a ~b}"))
    assert response.status_code == 403
    assert my_quiz.questions.count() == 0
    page = client.get(reverse("admin:quizzes_quiz_change", args=[my_quiz.pk]))
    assert "Import questions (GIFT/Aiken)" not in page.text


def test_a_question_whose_image_is_not_a_static_file_is_refused_by_line():
    quiz = QuizFactory.create()
    before = rows()
    text = (
        "Which crossing is this?\n![Taftan](static:course/img/region-map.svg) {=Taftan ~Chaman}\n"
        "\n"
        "[markdown]Which port is marked?\n![Port](static:course/img/ports.svg) {=Gwadar ~Karachi}\n"
    )
    with pytest.raises(ImportFailed) as failure:
        questions_import(quiz=quiz, text=text, fmt=GIFT)
    assert rows() == before
    [problem] = failure.value.problems
    assert problem.line == 4
    assert "static:course/img/ports.svg" in problem.message
