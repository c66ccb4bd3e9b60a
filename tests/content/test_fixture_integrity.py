"""The shipped course must stay sound: a broken lesson or quiz fails the suite."""

from __future__ import annotations

import io
import re
from decimal import Decimal
from urllib.parse import urlparse

import pytest
from django.conf import settings
from django.core.management import call_command

from authoring.content_loader import parse
from course.models import Course, GlossaryTerm, Lesson
from course.rendering import render_markdown
from quizzes import scoring
from quizzes.models import Quiz

pytestmark = pytest.mark.django_db

@pytest.fixture
def course() -> Course:
    call_command("load_course", str(settings.COURSE_FIXTURES_DIR), stdout=io.StringIO())
    return Course.objects.get()


def test_loading_the_course_twice_changes_nothing(course):
    out = io.StringIO()
    call_command("load_course", str(settings.COURSE_FIXTURES_DIR), stdout=out)
    assert "nothing changed" in out.getvalue()


def test_every_lesson_has_objectives_sources_and_a_verified_date(course):
    lessons = list(course.lessons.published().prefetch_related("sources"))
    assert len(lessons) == 8
    for lesson in lessons:
        assert 3 <= len(lesson.objective_list) <= 5, lesson.slug
        sources = list(lesson.sources.all())
        assert len(sources) >= 3, lesson.slug
        for source in sources:
            assert urlparse(source.url).scheme in {"http", "https"}, source.url
            assert source.publisher
            assert source.title
        assert lesson.last_verified is not None, lesson.slug


def test_every_lesson_is_sectioned_with_stable_anchors(course):
    for lesson in course.lessons.published():
        headings = re.findall(r"^## .*$", lesson.body, flags=re.M)
        assert len(headings) >= 3, lesson.slug
        for heading in headings:
            assert re.search(r"\{#[a-z0-9-]+\}\s*$", heading), f"{lesson.slug}: {heading}"


def test_every_lesson_is_600_to_1500_words(course):
    for lesson in course.lessons.published():
        words = len(lesson.body.split())
        assert 600 <= words <= 1500, f"{lesson.slug}: {words} words"


def test_every_published_quiz_can_be_answered_with_full_marks(course):
    quizzes = list(Quiz.objects.published().prefetch_related("questions__choices"))
    assert quizzes
    for quiz in quizzes:
        items = []
        for question in quiz.questions.filter(is_active=True):
            choices = list(question.choices.all())
            specs = [scoring.ChoiceSpec(c.pk, c.is_correct, c.credit) for c in choices]
            assert scoring.question_problems(question.kind, specs) == [], question.key
            credits = scoring.effective_credits(question.kind, specs)
            if question.kind == "multiple":
                best = [cid for cid, credit in credits.items() if credit > 0]
            else:
                best = [max(credits, key=lambda cid: credits[cid])]
            fraction = scoring.question_fraction(
                question.kind, credits, best, all_or_nothing=question.all_or_nothing
            )
            items.append((fraction, question.points))
        assert scoring.attempt_score(items).percentage == Decimal(100), quiz.slug


def test_every_checkpoint_quiz_meets_the_course_standard(course):
    for quiz in Quiz.objects.published().filter(lesson__isnull=False):
        questions = list(quiz.questions.filter(is_active=True).prefetch_related("choices"))
        assert len(questions) >= 6, quiz.slug
        assert quiz.pass_mark == 70
        kinds = {q.kind for q in questions}
        assert {"single", "multiple", "true_false"} <= kinds, quiz.slug
        for question in questions:
            assert question.explanation, question.key
            assert all(c.feedback for c in question.choices.all()), question.key


def test_every_question_links_to_a_section_that_exists(course):
    for quiz in Quiz.objects.published():
        for question in quiz.questions.filter(is_active=True).select_related("lesson"):
            assert question.lesson is not None, f"{quiz.slug}/{question.key}: no lesson"
            anchors = render_markdown(question.lesson.body).anchors()
            assert question.section_anchor in anchors, f"{quiz.slug}/{question.key}"


def test_every_glossary_link_resolves(course):
    slugs = set(GlossaryTerm.objects.filter(course=course).values_list("slug", flat=True))
    for lesson in Lesson.objects.filter(course=course):
        missing = set(render_markdown(lesson.body).glossary_slugs) - slugs
        assert not missing, f"{lesson.slug}: {missing}"


def test_lessons_avoid_the_seed_articles_errors(course):
    for lesson in course.lessons.published():
        text = lesson.body
        assert "Field Marshal Asim Munir" not in text or "2025" in text, lesson.slug
        for sentence in re.split(r"(?<=[.!?])\s+", text):
            if re.search(r"\bat least nine\b", sentence, re.I):
                assert re.search(r"Iran|said|reported|according", sentence), sentence


def test_fixture_files_parse_without_problems():
    plan = parse(settings.COURSE_FIXTURES_DIR)
    assert plan.course["slug"] == "balochistan-strikes-2024"


def test_final_exam_covers_every_lesson_and_outweighs_the_checkpoints(course):
    final = Quiz.objects.published().get(course=course, lesson__isnull=True)
    questions = list(final.questions.filter(is_active=True))
    assert len(questions) >= 24
    assert {q.lesson_id for q in questions} == set(course.lessons.values_list("pk", flat=True))
    assert final.pass_mark == 70
    checkpoints = Quiz.objects.published().filter(course=course, lesson__isnull=False)
    assert checkpoints.count() == 8
    assert all(final.weight > checkpoint.weight for checkpoint in checkpoints)


def test_every_lesson_has_a_checkpoint_quiz(course):
    for lesson in course.lessons.published():
        assert lesson.quizzes.filter(is_published=True).exists(), lesson.slug


def test_lessons_never_call_the_ambassador_expelled_except_to_correct_it(course):
    for lesson in course.lessons.published():
        # Any paragraph that uses the word must also say it was wrong or only a headline.
        for paragraph in re.split(r"\n\s*\n", lesson.body):
            if re.search(r"\bexpel", paragraph, re.I):
                assert re.search(r"headline|not|rather|wrong|persona", paragraph, re.I), (
                    f"{lesson.slug}: {paragraph}"
                )
