"""Files that come in line by line: the upload, its text, and the problems found in it.

The one home of what the enrolment CSV and the GIFT/Aiken question import share, in the
admin and on the command line: an upload is refused past MAX_UPLOAD_BYTES, its text is
UTF-8 (a byte-order mark is dropped), every problem names its line, a file with any
problem is refused whole (`ProblemsFound`), and a page or a command lists the first
PROBLEMS_SHOWN problems and counts the rest, so that a wrong file of 20,000 lines gives a
short answer that says where to start.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext

#: Largest file an admin upload accepts, in bytes.
MAX_UPLOAD_BYTES = 1024 * 1024

#: Problems an error page or a command lists; the rest are counted ("…and 950 more").
PROBLEMS_SHOWN = 50

#: What a file that is not UTF-8 is told, unless its importer has better advice.
NOT_UTF8 = gettext_noop(
    "Line %(line)s: the file is not UTF-8 text; save it as UTF-8 and try again."
)


@dataclass(frozen=True)
class LineProblem:
    """Something wrong at `line` (1-based) of a file, or with the whole file (line 0)."""

    line: int
    message: str

    def __str__(self) -> str:
        if not self.line:
            return self.message[:1].upper() + self.message[1:]
        return _("Line %(line)s: %(message)s") % {"line": self.line, "message": self.message}


class ProblemsFound(Exception):
    """The file was refused as a whole and nothing was written; `problems` say why, by line."""

    def __init__(self, problems: Iterable[LineProblem]) -> None:
        self.problems: tuple[LineProblem, ...] = tuple(sorted(problems, key=lambda p: p.line))
        super().__init__("\n".join(str(p) for p in self.problems))


class NotUTF8(ValueError):
    """The bytes are not UTF-8 text; `line` holds the first byte that is not."""

    def __init__(self, line: int, message: str) -> None:
        self.line = line
        super().__init__(message)


def shown_problems(problems: Sequence[object], shown: int = PROBLEMS_SHOWN) -> list[str]:
    """The first `shown` problems as text, then one line counting the rest, if any."""
    rest = len(problems) - shown
    lines = [str(problem) for problem in problems[:shown]]
    if rest > 0:
        lines.append(ngettext("…and %(n)d more problem.", "…and %(n)d more problems.", rest)
                     % {"n": rest})
    return lines


def decode_text(data: bytes, *, not_utf8: str = NOT_UTF8) -> str:
    """The text of a file: UTF-8, without a byte-order mark.

    Raises NotUTF8 with the message `not_utf8` (marked with gettext_noop, translated here)
    given the line of the first byte that is not UTF-8.
    """
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise NotUTF8(line, _(not_utf8) % {"line": line}) from exc


def upload_text(upload: UploadedFile, *, not_utf8: str = NOT_UTF8) -> str:
    """The text of an admin upload, for a form's `clean_<field>`.

    Raises ValidationError, code "too_large" past MAX_UPLOAD_BYTES (read no further than
    one byte past it) or "not_utf8" (see `decode_text`).
    """
    data = upload.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        raise ValidationError(
            _("The file is larger than %(megabytes)s MB; split it into smaller files."),
            code="too_large", params={"megabytes": MAX_UPLOAD_BYTES // (1024 * 1024)},
        )
    try:
        return decode_text(data, not_utf8=not_utf8)
    except NotUTF8 as exc:
        raise ValidationError(str(exc), code="not_utf8") from exc
