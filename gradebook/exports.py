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
from itertools import groupby
from operator import itemgetter
from typing import IO, Any

import xlsxwriter

from quizzes import scoring
from quizzes.models import Attempt, AttemptQuestion, AttemptState, Response

from .grades import Gradebook, GradebookRow
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


def _response_rows(gradebook: Gradebook) -> Iterator[list[Any]]:
    """One row per finished attempt × question, from three streamed queries merged by
    attempt, so the query count and memory stay flat however many attempts there are.
    """
    users = gradebook.filtered().values("user_id")
    attempts = (
        Attempt.objects.filter(
            quiz__course=gradebook.course, state=AttemptState.FINISHED, user_id__in=users
        )
        .order_by("pk")
    )
    heads = attempts.values_list(
        "pk", "user__username", "quiz__title", "number", "started_at", "finished_at"
    ).iterator(chunk_size=2000)
    slots = _grouped(
        AttemptQuestion.objects.filter(attempt__in=attempts.values("pk"))
        .order_by("attempt_id", "position")
        .values_list("attempt_id", "question_id", "position", "snapshot")
        .iterator(chunk_size=2000)
    )
    answers = _grouped(
        Response.objects.filter(attempt__in=attempts.values("pk"))
        .order_by("attempt_id")
        .values_list("attempt_id", "question_id", "selected", "fraction")
        .iterator(chunk_size=2000)
    )
    next_slots = next(slots, None)
    next_answers = next(answers, None)
    for attempt_id, username, quiz_title, number, started_at, finished_at in heads:
        while next_slots is not None and next_slots[0] < attempt_id:
            next_slots = next(slots, None)
        while next_answers is not None and next_answers[0] < attempt_id:
            next_answers = next(answers, None)
        my_slots = next_slots[1] if next_slots and next_slots[0] == attempt_id else []
        my_answers = {
            row[1]: row for row in (
                next_answers[1] if next_answers and next_answers[0] == attempt_id else []
            )
        }
        for _attempt, question_id, position, snapshot in my_slots:
            answer = my_answers.get(question_id)
            chosen = set(answer[2]) if answer else set()
            fraction = Decimal(answer[3]) if answer and answer[3] is not None else Decimal(0)
            points = Decimal(snapshot["points"])
            yield _safe([
                username, quiz_title, number, iso(started_at), iso(finished_at), position,
                snapshot["key"], snapshot["text"],
                " | ".join(c["text"] for c in snapshot["choices"] if c["id"] in chosen),
                scoring.display(fraction * 100),
                scoring.display(fraction * points),
                scoring.display(points),
            ])


def _grouped(rows: Iterable[Any]) -> Iterator[tuple[int, list[Any]]]:
    for key, group in groupby(rows, key=itemgetter(0)):
        yield key, list(group)


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
