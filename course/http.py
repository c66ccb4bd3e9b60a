"""Request types for views behind `login_required`."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.http import HttpRequest


class AuthenticatedHttpRequest(HttpRequest):
    """A request `login_required` has let through: its user is a real account, so views
    can hand it to services typed for one (Zulip's pattern, with django-stubs).
    """

    user: User
