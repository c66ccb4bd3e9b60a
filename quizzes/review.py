"""What a finished attempt looks like on review, for the learner or their instructor."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from course.models import Lesson
from course.rendering import render_markdown

from .models import Attempt, AttemptQuestion
from .rules import Review

FULL_REVIEW = Review(score=True, answers=True, feedback=True)


def review_items(attempt: Attempt, review: Review) -> list[dict[str, Any]]:
    """Per question, as the attempt showed it: the text, the choices in the order shown,
    what was chosen and, when `review` allows, the right answers, feedback, explanation.
    Three queries whatever the number of questions.
    """
    responses = {r.question_id: r for r in attempt.responses.all()}
    return build_items(
        list(attempt.slots.all()),
        {qid: list(r.selected) for qid, r in responses.items()},
        {qid: r.fraction for qid, r in responses.items() if r.fraction is not None},
        review,
        course_lessons(attempt.quiz.course_id),
    )


def course_lessons(course_id: int) -> dict[int, Lesson]:
    return {
        lesson.pk: lesson
        for lesson in Lesson.objects.filter(course_id=course_id).select_related("course")
    }


def build_items(
    slots: list[AttemptQuestion],
    chosen_by_question: dict[int, list[int]],
    fractions: dict[int, Decimal],
    review: Review,
    lessons: dict[int, Lesson],
) -> list[dict[str, Any]]:
    """Review rows for pinned questions, from what was chosen and the fraction earned."""
    items = []
    for slot in slots:
        snapshot = slot.snapshot
        chosen = set(chosen_by_question.get(slot.question_id, []))
        choices = [
            {
                "text": choice["text"],
                "feedback": choice["feedback"] if review.feedback else "",
                "chosen": choice["id"] in chosen,
                "right": review.answers and Decimal(choice["credit"]) > 0,
            }
            for choice in snapshot["choices"]
        ]
        fraction = fractions.get(slot.question_id, Decimal(0))
        lesson = lessons.get(snapshot.get("lesson_id") or 0)
        section_title = ""
        if lesson is not None and snapshot.get("section_anchor"):
            sections = {s.anchor: s.title for s in render_markdown(lesson.body).sections}
            section_title = sections.get(snapshot["section_anchor"], "")
        items.append(
            {
                "slot": slot,
                "text": snapshot["text"],
                "explanation": snapshot["explanation"] if review.feedback else "",
                "choices": choices,
                "answered": bool(chosen),
                "status": "right" if fraction >= 1 else ("partial" if fraction > 0 else "wrong"),
                "points": Decimal(snapshot["points"]),
                "earned": fraction * Decimal(snapshot["points"]),
                "lesson": lesson,
                "anchor": snapshot.get("section_anchor", ""),
                "section_title": section_title,
            }
        )
    return items
