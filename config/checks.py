"""System checks of our own, run by `manage.py check --deploy`."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Tags, Warning, register

SMTP = "django.core.mail.backends.smtp.EmailBackend"


@register(Tags.security, deploy=True)
def mail_configured(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    """Production sends sign-up and password-reset links by mail: without a mail server
    configured they fail (and learners are told so), so say it before going live."""
    if settings.EMAIL_BACKEND == SMTP and not getattr(settings, "MAIL_CONFIGURED", False):
        return [
            Warning(
                "No mail server is configured, so sign-up and password-reset mails cannot "
                "be sent.",
                hint="Set DJANGO_EMAIL_URL (e.g. smtp://user:password@host:587/?tls=True) "
                "or EMAIL_HOST, EMAIL_PORT, EMAIL_HOST_USER, EMAIL_HOST_PASSWORD.",
                id="config.W001",
            )
        ]
    return []
