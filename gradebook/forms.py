from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from course.models import Cohort


class GradebookFilterForm(forms.Form):
    q = forms.CharField(label=_("Search learners"), required=False, max_length=100)
    cohort = forms.ModelChoiceField(
        label=_("Cohort"), queryset=Cohort.objects.none(), required=False,
        empty_label=_("All cohorts"),
    )

    def __init__(self, *args: Any, course: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cohort_field = self.fields["cohort"]
        assert isinstance(cohort_field, forms.ModelChoiceField)
        cohort_field.queryset = Cohort.objects.filter(course=course)
