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


@register(Tags.security, deploy=True)
def trusted_proxies_named(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    """With proxies counted but not named, any client that reaches the app directly can
    set X-Forwarded-For and X-Forwarded-Proto; say so unless the operator names them."""
    if getattr(settings, "TRUSTED_PROXY_COUNT", 0) and not getattr(
        settings, "TRUSTED_PROXY_IPS", []
    ):
        return [
            Warning(
                "DJANGO_TRUSTED_PROXY_COUNT is set but DJANGO_TRUSTED_PROXY_IPS is empty, so "
                "X-Forwarded-* headers are believed from any client that reaches the app.",
                hint="Set DJANGO_TRUSTED_PROXY_IPS to the proxies' addresses or network "
                "(e.g. 10.0.0.0/8), or make sure only the proxy can reach the app's port.",
                id="config.W002",
            )
        ]
    return []
