"""Grade exports: the columns of PRODUCT.md §2, streamed a row at a time."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import UTC
from decimal import Decimal
from typing import Any

from . import scoring
from .grades import Gradebook, GradebookRow

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def defuse(value: str) -> str:
    """Stop a spreadsheet from reading a text cell as a formula (OWASP's advice)."""
    if value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def header(gradebook: Gradebook) -> list[str]:
    return [
        "Username",
        "First name",
        "Last name",
        "Email",
        "Cohort",
        *(quiz.title for quiz in gradebook.quizzes),
        "Course grade",
        "Lessons completed",
        "Last activity",
    ]


def row_values(row: GradebookRow) -> list[Any]:
    """Typed cell values: text, Decimal grades rounded to 2 places (None when blank)."""
    return [
        row.username,
        row.first_name,
        row.last_name,
        row.email,
        row.cohort,
        *(scoring.display(grade) for grade in row.grades),
        scoring.display(row.course_grade),
        row.lessons_completed,
        (
            row.last_activity.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            if row.last_activity
            else ""
        ),
    ]


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal | int):
        return str(value)
    return defuse(str(value))


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_lines(gradebook: Gradebook) -> Iterator[str]:
    """The export as RFC 4180 CSV lines (CRLF), header first."""
    writer = csv.writer(_Echo(), lineterminator="\r\n")
    yield writer.writerow([defuse(title) for title in header(gradebook)])
    for row in gradebook.iter_rows():
        yield writer.writerow([_csv_cell(value) for value in row_values(row)])
