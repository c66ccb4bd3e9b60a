"""What a finished attempt looks like on review, for the learner or their instructor."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from course.models import Lesson
from course.rendering import render_markdown

from .models import Attempt
from .rules import Review

FULL_REVIEW = Review(score=True, answers=True, feedback=True)


def review_items(attempt: Attempt, review: Review) -> list[dict[str, Any]]:
    """Per question, as the attempt showed it: the text, the choices in the order shown,
    what was chosen and, when `review` allows, the right answers, feedback, explanation.
    Three queries whatever the number of questions.
    """
    course_lessons = Lesson.objects.filter(course_id=attempt.quiz.course_id).select_related(
        "course"
    )
    lessons = {lesson.pk: lesson for lesson in course_lessons}
    responses = {r.question_id: r for r in attempt.responses.all()}
    items = []
    for slot in attempt.slots.all():
        snapshot = slot.snapshot
        response = responses.get(slot.question_id)
        chosen = set(response.selected) if response else set()
        choices = [
            {
                "text": choice["text"],
                "feedback": choice["feedback"] if review.feedback else "",
                "chosen": choice["id"] in chosen,
                "right": review.answers and Decimal(choice["credit"]) > 0,
            }
            for choice in snapshot["choices"]
        ]
        fraction = response.fraction if response and response.fraction is not None else Decimal(0)
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
