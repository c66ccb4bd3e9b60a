from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import Http404
from django.test import RequestFactory
from django.urls import reverse

from gradebook import analysis
from gradebook.analysis import Flag, ResponseRow, SlotRow
from gradebook.analysis_views import item_analysis
from gradebook.charts import bar_chart
from quizzes import services
from tests.factories import (
    CourseFactory,
    EnrolmentFactory,
    UserFactory,
    make_question,
    make_quiz,
)

pytestmark = pytest.mark.django_db

# The view's own queries (the quiz, scoped to the user's courses, and the four reads of the
# loader); session and user lookups come on top when it is served through the middleware.
PAGE_QUERIES = 5


def choice_ids(question):
    return list(question.choices.order_by("order").values_list("pk", flat=True))


def take(user, quiz, picks):
    """Start and submit an attempt choosing, per question, the choice at that position
    (None leaves it unanswered)."""
    attempt = services.attempt_start(user=user, quiz=quiz)
    answers = {
        question.pk: [] if index is None else [choice_ids(question)[index]]
        for question, index in picks.items()
    }
    services.attempt_submit(attempt=attempt, slots=list(attempt.slots.all()), answers=answers)
    return attempt


def learner(course):
    return EnrolmentFactory.create(course=course).user


def page(user, quiz):
    request = RequestFactory().get("/analysis/")
    request.user = user
    return item_analysis(request, course_slug=quiz.course.slug, slug=quiz.slug)


def svgs(html):
    return re.findall(r"<svg\b.*?</svg>", html, flags=re.DOTALL)


@pytest.fixture
def analysed(course):
    """Five attempts at four single-answer questions (choice 0 right), scored 1/0 as:

        a: 1 0 1 1   b: 1 0 1 1   c: 1 1 1 0   d: 0 1 0 0   e: 0 1 0 0

    Q1's score rises with the rest of the attempt (r = 1); Q2's falls with it.
    """
    quiz = make_quiz(course, n_questions=0, slug="checkpoint")
    q1, q2, q3, q4 = (make_question(quiz, order=i, key=f"q{i}") for i in range(1, 5))
    plan = [
        (0, 1, 0, 0),
        (0, 1, 0, 0),
        (0, 0, 0, 1),
        (1, 0, 1, 2),
        (2, 0, None, 3),
    ]
    for row in plan:
        take(learner(course), quiz, dict(zip((q1, q2, q3, q4), row, strict=True)))
    return quiz


def by_key(stats):
    return {q.key: q for q in stats.questions}


def test_facility_is_the_mean_score_in_percent(analysed):
    questions = by_key(analysis.quiz_statistics(analysed))
    assert [questions[k].facility for k in ("q1", "q2", "q3", "q4")] == [60, 60, 60, 40]
    assert all(q.attempts == 5 for q in questions.values())


def test_standard_deviation_is_the_sample_deviation_of_the_score(analysed):
    q1 = by_key(analysis.quiz_statistics(analysed))["q1"]
    # fractions 1 1 1 0 0: mean 0.6, Σ(x − mean)² = 1.2, / (5 − 1) = 0.3
    assert q1.standard_deviation is not None
    assert float(q1.standard_deviation) == pytest.approx(100 * 0.3**0.5)


def test_discrimination_is_the_correlation_with_the_rest_of_the_attempt(analysed):
    questions = by_key(analysis.quiz_statistics(analysed))
    # Q1: rest = 2 2 2 1 1 = score + 1, a perfect correlation.
    assert float(questions["q1"].discrimination) == pytest.approx(100)
    # Q2: score 0 0 1 1 1, rest 3 3 2 0 0: cov −2.8, Σdx² 1.2, Σdy² 9.2.
    assert float(questions["q2"].discrimination) == pytest.approx(100 * -2.8 / (1.2 * 9.2) ** 0.5)
    # Q4: score 1 1 0 0 0, rest 2 2 3 1 1: cov 0.4, Σdx² 1.2, Σdy² 2.8.
    assert float(questions["q4"].discrimination) == pytest.approx(100 * 0.4 / (1.2 * 2.8) ** 0.5)


def test_negative_discrimination_is_flagged_and_good_questions_are_not(analysed):
    questions = by_key(analysis.quiz_statistics(analysed))
    assert questions["q2"].flags == (Flag.NEGATIVE_DISCRIMINATION,)
    assert questions["q1"].flags == ()
    assert questions["q4"].flags == ()


def test_choice_counts_and_shares_follow_the_responses(analysed):
    questions = by_key(analysis.quiz_statistics(analysed))
    q1 = questions["q1"]
    assert [(c.label, c.count, c.share) for c in q1.choices] == [
        ("A", 3, 60), ("B", 1, 20), ("C", 1, 20), ("D", 0, 0),
    ]
    assert [c.is_right for c in q1.choices] == [True, False, False, False]
    assert q1.unanswered == 0
    q3 = questions["q3"]
    assert [c.count for c in q3.choices] == [3, 1, 0, 0]
    assert q3.unanswered == 1


def test_quiz_summary_and_histogram(analysed):
    stats = analysis.quiz_statistics(analysed)
    # Attempt grades: 75 75 75 25 25.
    assert stats.summary.attempts == 5
    assert stats.summary.mean == 55
    assert stats.summary.median == 75
    assert stats.summary.standard_deviation is not None
    assert float(stats.summary.standard_deviation) == pytest.approx(750**0.5)
    counts = {band.label: band.count for band in stats.histogram}
    assert counts["20–30"] == 2
    assert counts["70–80"] == 3
    assert sum(counts.values()) == 5


def test_histogram_has_ten_bins_and_puts_100_in_the_last():
    grades = [Decimal(v) for v in ("0", "9.99", "10", "55", "99.99", "100")]
    bins = analysis.histogram(grades)
    assert len(bins) == 10
    assert (bins[0].label, bins[-1].label) == ("0–10", "90–100")
    assert [b.count for b in bins] == [2, 1, 0, 0, 0, 1, 0, 0, 0, 2]


def test_one_attempt_leaves_discrimination_and_deviation_undefined():
    quiz = make_quiz(n_questions=2)
    take(learner(quiz.course), quiz, {q: 0 for q in quiz.questions.all()})
    stats = analysis.quiz_statistics(quiz)
    assert stats.summary.attempts == 1
    assert stats.summary.standard_deviation is None
    assert all(q.discrimination is None for q in stats.questions)
    assert all(q.standard_deviation is None for q in stats.questions)


def test_no_spread_in_scores_leaves_discrimination_undefined_and_flags_very_easy():
    quiz = make_quiz(n_questions=2)
    for _ in range(3):
        take(learner(quiz.course), quiz, {q: 0 for q in quiz.questions.all()})
    stats = analysis.quiz_statistics(quiz)
    assert all(q.discrimination is None for q in stats.questions)
    assert all(q.flags == (Flag.VERY_EASY,) for q in stats.questions)


def test_open_attempts_are_left_out(analysed):
    services.attempt_start(user=learner(analysed.course), quiz=analysed)
    assert analysis.quiz_statistics(analysed).summary.attempts == 5


def test_shuffled_attempts_group_by_question_and_list_choices_in_question_order():
    quiz = make_quiz(n_questions=0, shuffle_questions=True, shuffle_choices=True)
    first, second = make_question(quiz, key="first"), make_question(quiz, key="second")
    for index in range(4):
        take(learner(quiz.course), quiz, {first: index, second: 0})
    stats = by_key(analysis.quiz_statistics(quiz))
    assert [c.count for c in stats["first"].choices] == [1, 1, 1, 1]
    assert [c.id for c in stats["first"].choices] == choice_ids(first)
    assert stats["first"].facility == 25
    assert stats["second"].facility == 100


@pytest.mark.parametrize(
    ("facility", "discrimination", "flags"),
    [
        ("50", "-0.01", (Flag.NEGATIVE_DISCRIMINATION,)),
        ("50", "0", (Flag.WEAK_DISCRIMINATION,)),
        ("50", "19.99", (Flag.WEAK_DISCRIMINATION,)),
        ("50", "20", ()),
        ("50", None, ()),
        ("90", "30", ()),
        ("90.01", "30", (Flag.VERY_EASY,)),
        ("10", "30", ()),
        ("9.99", "-5", (Flag.NEGATIVE_DISCRIMINATION, Flag.VERY_HARD)),
    ],
)
def test_flags_follow_moodles_thresholds(facility, discrimination, flags):
    value = None if discrimination is None else Decimal(discrimination)
    assert analysis.question_flags(Decimal(facility), value) == flags


def test_statistics_are_computed_in_zero_queries(django_assert_num_queries):
    snapshot = {"key": "k", "kind": "single", "text": "T?", "points": "1",
                "choices": [{"id": 1, "text": "Yes", "credit": "100"},
                            {"id": 2, "text": "No", "credit": "0"}]}
    slots = [SlotRow(a, 7, 1, snapshot) for a in (1, 2, 3)]
    responses = [ResponseRow(1, 7, (1,), Decimal(1)), ResponseRow(2, 7, (2,), Decimal(0))]
    with django_assert_num_queries(0):
        stats = analysis.compute_statistics([Decimal(100), Decimal(0), Decimal(0)], slots,
                                            responses)
    (question,) = stats.questions
    assert float(question.facility) == pytest.approx(100 / 3)
    assert [c.count for c in question.choices] == [1, 1]
    assert question.unanswered == 1


# The page ---------------------------------------------------------------------------------

def test_instructor_sees_the_numbers_and_accessible_charts(analysed, instructor):
    response = page(instructor, analysed)
    assert response.status_code == 200
    html = response.content.decode()
    assert "60.00%" in html  # facility of Q1–Q3
    assert "-84.27" in html  # discrimination of Q2
    assert "55.00%" in html  # mean grade
    assert "27.39%" in html  # standard deviation of the grades
    assert "Negative discrimination — check the answer key" in html
    assert "right answer" in html
    charts = svgs(html)
    assert len(charts) == 1 + 4  # the histogram and one per question
    assert all('role="img"' in svg and "<title" in svg and "<desc" in svg for svg in charts)
    assert all("<script" not in svg and "style=" not in svg for svg in charts)
    assert "style=" not in html


def test_page_without_attempts_says_so(course, instructor):
    quiz = make_quiz(course, n_questions=2)
    html = page(instructor, quiz).content.decode()
    assert "No finished attempts yet" in html


def test_superuser_sees_any_quizs_analysis(analysed):
    admin = UserFactory.create(is_staff=True, is_superuser=True)
    assert page(admin, analysed).status_code == 200


def test_another_instructor_and_a_learner_get_404(analysed):
    other = UserFactory.create(is_staff=True)
    CourseFactory.create().instructors.add(other)
    student = analysed.attempts.first().user
    for user in (other, student):
        with pytest.raises(Http404):
            page(user, analysed)


def test_anonymous_is_sent_to_log_in(analysed):
    response = page(AnonymousUser(), analysed)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login") + "?next=")


@pytest.mark.parametrize("attempts", [3, 30])
def test_page_query_count_does_not_grow_with_attempts(
    attempts, course, instructor, django_assert_max_num_queries
):
    quiz = make_quiz(course, n_questions=3)
    questions = list(quiz.questions.all())
    for index in range(attempts):
        take(learner(course), quiz, {q: (index + n) % 4 for n, q in enumerate(questions)})
    with django_assert_max_num_queries(PAGE_QUERIES):
        response = page(instructor, quiz)
    assert response.status_code == 200
    assert f"<dd class=\"col-sm-8\">{attempts}</dd>" in response.content.decode()


# Charts -----------------------------------------------------------------------------------

def test_bar_chart_escapes_text_and_has_no_script_or_inline_style():
    svg = bar_chart(
        ["<script>alert(1)</script>", '" onload="x'],
        [3, Decimal("1.5")],
        title="Title & <b>",
        description="Desc </desc><script>",
        chart_id='bad" id',
    )
    assert svg.startswith("<svg")
    assert 'role="img"' in svg
    assert 'viewBox="0 0 ' in svg
    assert "<script" not in svg
    assert "style=" not in svg
    assert "&lt;script&gt;" in svg
    assert "&quot; onload=&quot;x" in svg
    assert "Title &amp; &lt;b&gt;" in svg
    assert 'aria-labelledby="bad--id-title bad--id-desc"' in svg


def test_bar_chart_needs_one_label_per_value():
    with pytest.raises(ValueError, match="one label per value"):
        bar_chart(["a"], [1, 2], title="t", description="d")
