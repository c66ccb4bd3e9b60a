"""How many questions a quiz may hold, and one import may add (docs/limits.md).

The one home of the rule: the GIFT/Aiken import (admin upload and `import_questions`),
the course loader and the admin's question forms all ask here, so that no way in lets a
quiz grow past what its admin page, preview and take page serve. The limits are read at
call time from `settings.QUIZ_MAX_QUESTIONS` and `settings.QUIZ_MAX_QUESTIONS_PER_IMPORT`.
A quiz's count includes its retired (inactive) questions: they stay for past attempts.
"""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import ngettext


def max_questions() -> int:
    return int(settings.QUIZ_MAX_QUESTIONS)


def max_questions_per_import() -> int:
    return int(settings.QUIZ_MAX_QUESTIONS_PER_IMPORT)


def import_size_problem(count: int) -> str | None:
    """Why a file of `count` questions cannot be imported at once, or None."""
    limit = max_questions_per_import()
    if count <= limit:
        return None
    return _(
        "the file holds %(count)s questions; one import adds at most %(limit)s. "
        "Split it into smaller files."
    ) % {"count": count, "limit": limit}


def quiz_room_problem(*, current: int, adding: int) -> str | None:
    """Why a quiz holding `current` questions cannot take `adding` more, or None."""
    limit = max_questions()
    if adding <= 0 or current + adding <= limit:
        return None
    return ngettext(
        "a quiz holds at most %(limit)s questions; this one has %(current)s, so "
        "%(adding)s more cannot be added. Put it in another quiz.",
        "a quiz holds at most %(limit)s questions; this one has %(current)s, so "
        "%(adding)s more cannot be added. Put them in another quiz.",
        adding,
    ) % {"limit": limit, "current": current, "adding": adding}


def capitalised(message: str) -> str:
    return message[:1].upper() + message[1:]

