"""Login throttling tiers on top of django-axes, and the attempted username it records.

django-axes locks one account at one address after AXES_FAILURE_LIMIT failures. That
alone lets one address try a few passwords against every account (password spraying),
and lets many addresses try many passwords against one account. Two more tiers, counted
from the same failure records over the same cool-off window, close both: one address
whatever the accounts, and one account whatever the addresses (set high, so that no
single attacker can lock a learner out for everyone).
"""

from __future__ import annotations

import ipaddress
from datetime import timedelta
from typing import Any

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_ip_address, get_client_username, get_cool_off
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum
from django.http import HttpRequest
from django.utils import timezone

USERNAME_MAX = 150  # Django's username field; axes' column holds 255


def attempted_username(request: HttpRequest, credentials: dict[str, Any] | None) -> str:
    """The username a login attempt named, cut to a length any real account has."""
    field = getattr(settings, "AXES_USERNAME_FORM_FIELD", "username")
    value: Any = None
    if credentials:
        value = credentials.get(field)
    if value is None:
        value = request.POST.get(field)
    return str(value or "")[:USERNAME_MAX]


def client_network(request: HttpRequest) -> str:
    """The address login throttling counts: IPv4 as is, IPv6 by its /64 network."""
    address = request.META.get("REMOTE_ADDR", "")
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if ip.version == 6:
        return str(ipaddress.ip_network(f"{ip}/64", strict=False).network_address)
    return str(ip)


def _failures(**filters: Any) -> int:
    return int(
        AccessAttempt.objects.filter(**filters).aggregate(n=Sum("failures_since_start"))["n"] or 0
    )


class TieredAxesHandler(AxesDatabaseHandler):
    """axes' database handler, plus the per-address and per-account tiers."""

    def is_locked(self, request: HttpRequest, credentials: dict[str, Any] | None = None) -> bool:
        if super().is_locked(request, credentials):
            return True
        since = timezone.now() - (get_cool_off(request) or timedelta(0))
        address = get_client_ip_address(request)
        if address and _failures(ip_address=address, attempt_time__gt=since) >= (
            settings.AXES_ADDRESS_FAILURE_LIMIT
        ):
            return True
        username = get_client_username(request, credentials)
        return bool(username) and _failures(username=username, attempt_time__gt=since) >= (
            settings.AXES_ACCOUNT_FAILURE_LIMIT
        )
