"""Grade and response exports: the columns of PRODUCT.md §2, streamed a row at a time.

Every format is written from the same typed rows (text, Decimal grades rounded to two
places, integers, ISO 8601 timestamps), produced by the gradebook's own query layer, so the
page, the CSV, the XLSX and the ODS files show the same numbers.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import IO, Any

import xlsxwriter

from . import scoring
from .grades import Gradebook, GradebookRow
from .models import Attempt, AttemptState
from .ods import write_ods

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
FORMATS = {
    "csv": ("text/csv; charset=utf-8", "csv"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
    "ods": ("application/vnd.oasis.opendocument.spreadsheet", "ods"),
}


def defuse(value: str) -> str:
    """Stop a spreadsheet from reading a text cell as a formula (OWASP's advice)."""
    if value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def iso(moment: datetime | None) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if moment else ""


@dataclass(frozen=True)
class Table:
    """A sheet: its name, its header and its rows (produced lazily)."""

    name: str
    header: list[str]
    rows: Iterable[list[Any]]


def _safe(values: Iterable[Any]) -> list[Any]:
    return [defuse(v) if isinstance(v, str) else v for v in values]


def grades_header(gradebook: Gradebook) -> list[str]:
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


def grade_row(row: GradebookRow) -> list[Any]:
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
        iso(row.last_activity),
    ]


def grades_table(gradebook: Gradebook) -> Table:
    return Table(
        name="Grades",
        header=_safe(grades_header(gradebook)),
        rows=(_safe(grade_row(row)) for row in gradebook.iter_rows()),
    )


RESPONSE_HEADER = [
    "Username", "Quiz", "Attempt", "Started", "Finished", "Question", "Question key",
    "Question text", "Chosen", "Credit earned", "Points earned", "Points possible",
]


def _response_rows(gradebook: Gradebook, batch_size: int = 500) -> Iterator[list[Any]]:
    quiz_titles = {quiz.pk: quiz.title for quiz in gradebook.quizzes}
    user_ids = gradebook.enrolments().values("user_id")
    base = (
        Attempt.objects.filter(
            quiz__course=gradebook.course, state=AttemptState.FINISHED, user_id__in=user_ids
        )
        .select_related("user", "quiz")
        .order_by("pk")
    )
    last = 0
    while True:
        batch = list(base.filter(pk__gt=last).prefetch_related("slots", "responses")[:batch_size])
        if not batch:
            return
        for attempt in batch:
            responses = {r.question_id: r for r in attempt.responses.all()}
            for slot in attempt.slots.all():
                snapshot = slot.snapshot
                response = responses.get(slot.question_id)
                chosen = set(response.selected) if response else set()
                fraction = response.fraction if response and response.fraction is not None else 0
                points = Decimal(snapshot["points"])
                yield _safe([
                    attempt.user.get_username(),
                    quiz_titles.get(attempt.quiz_id, attempt.quiz.title),
                    attempt.number,
                    iso(attempt.started_at),
                    iso(attempt.finished_at),
                    slot.position,
                    snapshot["key"],
                    snapshot["text"],
                    " | ".join(c["text"] for c in snapshot["choices"] if c["id"] in chosen),
                    scoring.display(Decimal(fraction) * 100),
                    scoring.display(Decimal(fraction) * points),
                    scoring.display(points),
                ])
        last = batch[-1].pk


def responses_table(gradebook: Gradebook) -> Table:
    return Table(name="Responses", header=RESPONSE_HEADER, rows=_response_rows(gradebook))


# Writers ----------------------------------------------------------------------------------------

def _csv_cell(value: Any) -> str:
    return "" if value is None else str(value)


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_lines(table: Table) -> Iterator[str]:
    """The table as RFC 4180 CSV lines (CRLF), header first."""
    writer = csv.writer(_Echo(), lineterminator="\r\n")
    yield writer.writerow(table.header)
    for row in table.rows:
        yield writer.writerow([_csv_cell(value) for value in row])


def write_xlsx(fileobj: IO[bytes], table: Table) -> None:
    """xlsxwriter in constant-memory mode: each row is flushed to disk as it is written."""
    workbook = xlsxwriter.Workbook(fileobj, {"constant_memory": True, "in_memory": False})
    sheet = workbook.add_worksheet(table.name[:31])
    bold = workbook.add_format({"bold": True})
    grade = workbook.add_format({"num_format": "0.00"})
    for col, title in enumerate(table.header):
        sheet.write_string(0, col, title, bold)
    for index, row in enumerate(table.rows, start=1):
        for col, value in enumerate(row):
            if value is None or value == "":
                continue
            if isinstance(value, Decimal):
                sheet.write_number(index, col, float(value), grade)
            elif isinstance(value, int):
                sheet.write_number(index, col, value)
            else:
                sheet.write_string(index, col, str(value))
    workbook.close()


def write_file(fileobj: IO[bytes], table: Table, fmt: str) -> None:
    """Write the table in `fmt` (csv, xlsx or ods) to a binary file object."""
    if fmt == "xlsx":
        write_xlsx(fileobj, table)
    elif fmt == "ods":
        write_ods(fileobj, table.name, table.header, table.rows)
    elif fmt == "csv":
        for line in csv_lines(table):
            fileobj.write(line.encode("utf-8"))
    else:
        raise ValueError(f"unknown export format {fmt!r}")
