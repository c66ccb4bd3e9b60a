from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import AttemptQuestion, QuestionKind


def field_name(slot: AttemptQuestion) -> str:
    return f"q{slot.question_id}"


class AttemptForm(forms.Form):
    """One field per pinned question, with choices from the attempt's snapshot (no queries)."""

    def __init__(self, *args: Any, slots: Sequence[AttemptQuestion], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.slots = list(slots)
        for slot in self.slots:
            choices = [(str(c["id"]), c["text"]) for c in slot.snapshot["choices"]]
            label = _("Question %(n)s") % {"n": slot.position}
            if slot.snapshot["kind"] == QuestionKind.MULTIPLE:
                self.fields[field_name(slot)] = forms.MultipleChoiceField(
                    label=label, choices=choices, required=False,
                    widget=forms.CheckboxSelectMultiple,
                )
            else:
                self.fields[field_name(slot)] = forms.ChoiceField(
                    label=label, choices=choices, required=False, widget=forms.RadioSelect
                )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for slot in self.slots:
            name = field_name(slot)
            values = self.data.getlist(name) if hasattr(self.data, "getlist") else []
            if slot.snapshot["kind"] != QuestionKind.MULTIPLE and len(values) > 1:
                self.add_error(name, _("Choose only one answer to this question."))
        return cleaned

    def present_answers(self) -> dict[int, list[int]]:
        """Answers of the questions this request speaks for, an empty list meaning "cleared".

        A full form names every question in hidden `present` fields; an autosave names the
        one question it saves. Without any `present` field, every answered question counts.
        """
        present = set(self.data.getlist("present")) if hasattr(self.data, "getlist") else set()
        answers = self.answers()
        if not present:
            return answers
        result = {}
        for slot in self.slots:
            if str(slot.question_id) in present:
                result[slot.question_id] = answers.get(slot.question_id, [])
        return result

    def present_flags(self) -> dict[int, bool]:
        """The "flag for review" mark of each question named in `present` (a checked
        `flagged` box carries the question id); none when no question is named.
        """
        if not hasattr(self.data, "getlist"):
            return {}
        present = set(self.data.getlist("present"))
        flagged = set(self.data.getlist("flagged"))
        return {
            slot.question_id: str(slot.question_id) in flagged
            for slot in self.slots
            if str(slot.question_id) in present
        }

    def answers(self) -> dict[int, list[int]]:
        """Chosen choice ids by question id, for the questions the learner answered."""
        result: dict[int, list[int]] = {}
        for slot in self.slots:
            value = self.cleaned_data.get(field_name(slot))
            if not value:
                continue
            ids = value if isinstance(value, list) else [value]
            result[slot.question_id] = sorted(int(v) for v in ids)
        return result
