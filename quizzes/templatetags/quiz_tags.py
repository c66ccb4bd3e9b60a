"""Filters for quiz pages: times and grades as every quiz page shows them."""

from django import template

register = template.Library()


@register.filter
def duration(seconds: object) -> str:
    """Seconds as H:MM:SS (or M:SS under an hour), as the countdown shows them."""
    total = max(0, int(str(seconds or 0)))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


@register.filter
def minutes(value: object) -> str:
    """A timedelta as "N minutes" (or hours and minutes), for time limits."""
    from datetime import timedelta

    from django.utils.translation import ngettext

    if not isinstance(value, timedelta):
        return ""
    total = int(value.total_seconds() // 60)
    hours, mins = divmod(total, 60)
    parts = []
    if hours:
        parts.append(ngettext("%(n)d hour", "%(n)d hours", hours) % {"n": hours})
    if mins or not hours:
        parts.append(ngettext("%(n)d minute", "%(n)d minutes", mins) % {"n": mins})
    return " ".join(parts)


@register.filter
def percent(value: object) -> str:
    """A grade as shown everywhere: two decimals, half-up, or an en dash when blank."""
    from decimal import ROUND_HALF_UP, Decimal

    if value is None or value == "":
        return "–"
    return f"{Decimal(str(value)).quantize(Decimal('0.01'), rounding=ROUND_HALF_UP)}%"
