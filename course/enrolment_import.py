"""Bulk enrolment of existing users in a course from a CSV file, with cohorts.

The file is UTF-8 (with or without a byte-order mark), comma-separated, RFC 4180 quoting,
with a header row naming the columns `username` and/or `email`, and optionally `cohort`:

    username,email,cohort
    alice,,Evening
    ,bob@example.com,Morning

Reading happens in three steps, so that the rules are testable without a database:
`parse_enrolment_csv` (pure: text to rows and problems), one query for the users the rows
name, and `resolve_learners` (pure: rows and users to learners and problems). Only when
there is no problem at all does `enrolment_import` write anything.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import zip_longest
from typing import TypeVar

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext

from .models import Cohort, Course, Enrolment
from .uploads import LineProblem, ProblemsFound

COLUMNS = ("username", "email", "cohort")
COHORT_NAME_MAX_LENGTH = Cohort._meta.get_field("name").max_length or 100

#: Values per `IN (...)` list, so that a large file never exceeds a database's limit on
#: query parameters (SQLite's is the smallest). A class-sized file is one query per step.
LOOKUP_BATCH = 450

#: The advice for a file that is not UTF-8, in the words of the spreadsheets that write CSV.
CSV_NOT_UTF8 = gettext_noop(
    "The file is not valid UTF-8 (line %(line)s). Save it as “CSV UTF-8” and retry."
)

T = TypeVar("T")


class EnrolmentImportError(ProblemsFound):
    """The file was refused; nothing was written. `problems` lists every bad line."""


@dataclass(frozen=True)
class CsvRow:
    """One data row as written in the file: identifiers stripped, "" when absent."""

    line: int
    username: str
    email: str
    cohort: str


@dataclass(frozen=True)
class ParsedCsv:
    rows: list[CsvRow]
    problems: list[LineProblem]


@dataclass(frozen=True)
class UserKey:
    """The fields of a user account that a row can name."""

    pk: int
    username: str
    email: str


@dataclass(frozen=True)
class Learner:
    """A row resolved to an account: enrol `user_id`, in `cohort` when not None."""

    line: int
    user_id: int
    cohort: str | None


@dataclass(frozen=True)
class EnrolmentImportReport:
    enrolled: int
    already_enrolled: int
    cohort_changes: int
    cohorts_created: tuple[str, ...]

    def summary(self) -> str:
        parts = [
            ngettext(
                "Enrolled %(n)d new learner", "Enrolled %(n)d new learners", self.enrolled
            ) % {"n": self.enrolled},
            ngettext(
                "%(n)d already enrolled (%(k)d cohort change)",
                "%(n)d already enrolled (%(k)d cohort changes)",
                self.cohort_changes,
            ) % {"n": self.already_enrolled, "k": self.cohort_changes},
        ]
        if self.cohorts_created:
            parts.append(
                _("cohorts created: %(names)s") % {"names": ", ".join(self.cohorts_created)}
            )
        else:
            parts.append(_("no cohort created"))
        return "; ".join(parts) + "."


def parse_enrolment_csv(text: str) -> ParsedCsv:
    """Rows of the file and the problems that need no database to find. Pure.

    A wrong header is reported on line 1 and no row is read. Blank lines, and rows whose
    every cell is empty (as spreadsheets leave at the end), are skipped;
    a short row counts its missing cells as empty; a row with more cells than the
    header is refused, as is a cohort name longer than a cohort may be.
    """
    text = text.removeprefix("\ufeff")
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
    except csv.Error as exc:
        return ParsedCsv([], [LineProblem(reader.line_num or 1, _("unreadable CSV: %s") % exc)])
    if header is None or not any(cell.strip() for cell in header):
        return ParsedCsv([], [LineProblem(1, _(
            "the file is empty; the first line must be a header such as "
            "“username,email,cohort”."
        ))])
    columns = [cell.strip().lower() for cell in header]
    header_problem = _header_problem(columns)
    if header_problem:
        return ParsedCsv([], [LineProblem(1, header_problem)])

    rows: list[CsvRow] = []
    problems: list[LineProblem] = []
    last_line = reader.line_num
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            # The reader cannot resynchronise after broken quoting: stop at this line.
            problems.append(LineProblem(last_line + 1, _("unreadable CSV: %s") % exc))
            break
        line, last_line = last_line + 1, reader.line_num
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) > len(columns):
            problems.append(LineProblem(line, _(
                "%(found)d cells, but the header has %(expected)d columns."
            ) % {"found": len(cells), "expected": len(columns)}))
            continue
        if any("\x00" in cell for cell in cells):
            # PostgreSQL refuses NUL in text: catch it here rather than as a database error.
            problems.append(LineProblem(line, _("the row contains a NUL character.")))
            continue
        values = dict(zip(columns, (cell.strip() for cell in cells), strict=False))
        row = CsvRow(line, values.get("username", ""), values.get("email", ""),
                     values.get("cohort", ""))
        if not row.username and not row.email:
            problems.append(LineProblem(line, _("no username or email: the row names nobody.")))
        if len(row.cohort) > COHORT_NAME_MAX_LENGTH:
            problems.append(LineProblem(line, _(
                "cohort name is %(length)d characters long; the limit is %(limit)d."
            ) % {"length": len(row.cohort), "limit": COHORT_NAME_MAX_LENGTH}))
        rows.append(row)
    if not rows and not problems:
        problems.append(LineProblem(1, _("the file has a header row but no learners.")))
    return ParsedCsv(rows, problems)


def _header_problem(columns: list[str]) -> str | None:
    expected = ", ".join(COLUMNS)
    unknown = [c for c in columns if c not in COLUMNS]
    if unknown:
        return _("wrong header: unknown column %(columns)s; the columns are %(expected)s.") % {
            "columns": ", ".join(f"“{c}”" for c in unknown), "expected": expected}
    repeated = sorted({c for c in columns if columns.count(c) > 1})
    if repeated:
        return _("wrong header: column %(columns)s appears more than once.") % {
            "columns": ", ".join(f"“{c}”" for c in repeated)}
    if "username" not in columns and "email" not in columns:
        return _("wrong header: a “username” or an “email” column is required "
                 "(columns: %(expected)s).") % {"expected": expected}
    return None


def resolve_learners(
    rows: Iterable[CsvRow], users: Iterable[UserKey]
) -> tuple[list[Learner], list[LineProblem]]:
    """Match each row to exactly one of `users`. Pure.

    Usernames match exactly, emails case-insensitively. A row whose username and email
    name different accounts, that names nobody, or an email shared by several accounts,
    is a problem; so is a second row for an account already listed.
    """
    by_username: dict[str, int] = {}
    by_email: dict[str, set[int]] = {}
    for user in users:
        by_username[user.username] = user.pk
        if user.email:
            by_email.setdefault(user.email.lower(), set()).add(user.pk)

    learners: list[Learner] = []
    problems: list[LineProblem] = []
    first_line: dict[int, int] = {}
    for row in rows:
        if not row.username and not row.email:
            continue  # reported by the parser
        user_id, problem = _match(row, by_username, by_email)
        if problem:
            problems.append(LineProblem(row.line, problem))
            continue
        assert user_id is not None
        if user_id in first_line:
            problems.append(LineProblem(row.line, _(
                "duplicate: the same learner is already listed on line %(line)d."
            ) % {"line": first_line[user_id]}))
            continue
        first_line[user_id] = row.line
        learners.append(Learner(row.line, user_id, row.cohort or None))
    return learners, problems


def _match(
    row: CsvRow, by_username: dict[str, int], by_email: dict[str, set[int]]
) -> tuple[int | None, str | None]:
    by_name = by_username.get(row.username) if row.username else None
    if row.username and by_name is None:
        return None, _("unknown user: no user with username “%(username)s”.") % {
            "username": row.username}
    if not row.email:
        return by_name, None
    matches = by_email.get(row.email.lower(), set())
    if by_name is not None:
        if by_name in matches:
            return by_name, None
        if not matches:
            return None, _("unknown user: no user with email “%(email)s”.") % {
                "email": row.email}
        return None, _(
            "username “%(username)s” and email “%(email)s” belong to different users."
        ) % {"username": row.username, "email": row.email}
    if not matches:
        return None, _("unknown user: no user with email “%(email)s”.") % {"email": row.email}
    if len(matches) > 1:
        return None, _(
            "%(count)d users share the email “%(email)s”: give the username instead."
        ) % {"count": len(matches), "email": row.email}
    return next(iter(matches)), None


def _batches(values: Sequence[T]) -> Iterator[Sequence[T]]:
    for start in range(0, len(values), LOOKUP_BATCH):
        yield values[start:start + LOOKUP_BATCH]


def find_users(rows: Sequence[CsvRow], *, learners_only: bool = True) -> list[UserKey]:
    """The accounts the rows may name: one query per LOOKUP_BATCH rows.

    With `learners_only` (what an instructor gets), staff, superuser and inactive accounts
    are invisible: they read as unknown, so an upload can neither enrol them (and so show
    their names and emails in the gradebook) nor probe whether they exist.
    """
    usernames = sorted({row.username for row in rows if row.username})
    emails: set[str] = set()
    for row in rows:
        if row.email:
            # SQLite's LOWER() folds ASCII only, PostgreSQL's all of Unicode: ask for both.
            emails.add(row.email.lower())
            emails.add("".join(c.lower() if c.isascii() else c for c in row.email))
    found: dict[int, UserKey] = {}
    queryset = get_user_model().objects.annotate(email_lower=Lower("email"))
    if learners_only:
        queryset = queryset.filter(is_staff=False, is_superuser=False, is_active=True)
    for names, addresses in zip_longest(_batches(usernames), _batches(sorted(emails))):
        condition = Q(username__in=names or []) | Q(email_lower__in=addresses or [])
        for pk, username, email in queryset.filter(condition).values_list(
            "pk", "username", "email"
        ):
            found[pk] = UserKey(pk, username, email or "")
    return list(found.values())


@transaction.atomic
def enrolment_import(
    *, course: Course, text: str, learners_only: bool = True
) -> EnrolmentImportReport:
    """Enrol every learner the CSV `text` lists in `course`, in their cohorts.

    All or nothing: every row is parsed and checked first; if any row is bad this raises
    EnrolmentImportError listing every bad line, and nothing is written. Otherwise, in
    this one transaction, missing cohorts are created, new learners enrolled, and an
    already-enrolled learner keeps the enrolment, moved to the row's cohort when the row
    gives one (an empty cohort cell leaves it as it is). Importing a file twice changes
    nothing the second time. The number of queries does not grow with the rows (up to
    LOOKUP_BATCH rows, and Django's bulk batch sizes beyond). Only learner accounts can be
    named unless `learners_only` is False (superusers and the command line).
    """
    parsed = parse_enrolment_csv(text)
    learners, problems = resolve_learners(
        parsed.rows, find_users(parsed.rows, learners_only=learners_only)
    )
    if parsed.problems or problems:
        raise EnrolmentImportError([*parsed.problems, *problems])

    cohort_ids, created = _cohorts(course, sorted({lr.cohort for lr in learners if lr.cohort}))
    existing: dict[int, Enrolment] = {}
    user_ids = [learner.user_id for learner in learners]
    for batch in _batches(user_ids):
        for found in Enrolment.objects.filter(course=course, user_id__in=batch).only(
            "pk", "user_id", "cohort_id"
        ):
            existing[found.user_id] = found

    new: list[Enrolment] = []
    moved: list[Enrolment] = []
    for learner in learners:
        cohort_id = cohort_ids[learner.cohort] if learner.cohort else None
        enrolment = existing.get(learner.user_id)
        if enrolment is None:
            new.append(Enrolment(user_id=learner.user_id, course=course, cohort_id=cohort_id))
        elif cohort_id is not None and enrolment.cohort_id != cohort_id:
            enrolment.cohort_id = cohort_id
            moved.append(enrolment)
    # bulk_create rather than services.enrolment_create: one INSERT for the whole file.
    # ignore_conflicts: a learner who enrolled themselves a moment ago keeps that enrolment.
    Enrolment.objects.bulk_create(new, ignore_conflicts=True)
    Enrolment.objects.bulk_update(moved, ["cohort"])
    return EnrolmentImportReport(
        enrolled=len(new),
        already_enrolled=len(existing),
        cohort_changes=len(moved),
        cohorts_created=tuple(created),
    )


def _cohorts(course: Course, names: Sequence[str]) -> tuple[dict[str, int], list[str]]:
    """Ids of the course's cohorts with these exact names, creating those missing."""
    if not names:
        return {}, []

    def existing(wanted: Sequence[str]) -> Iterator[tuple[str, int]]:
        for batch in _batches(wanted):
            yield from Cohort.objects.filter(course=course, name__in=batch).order_by().values_list(
                "name", "pk"
            )

    ids = dict(existing(names))
    missing = [name for name in names if name not in ids]
    if missing:
        # ignore_conflicts and a re-read: a cohort created concurrently is used, not an error.
        Cohort.objects.bulk_create(
            [Cohort(course=course, name=name) for name in missing], ignore_conflicts=True
        )
        ids.update(existing(missing))
    return ids, missing
