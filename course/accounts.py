"""Accounts: sign-up confirmed by email, password reset, and the mail they send.

Sign-up never tells an anonymous visitor whether an email address is registered: every
accepted form ends on the same "check your inbox" page, and what happens next is said
only to the owner of the address. A new address gets a link to choose a password (the
account is usable once that is done, so nobody can prepare an account on someone else's
address); a registered one gets a reminder of its username and how to reset the password.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlencode, urlsafe_base64_encode

if TYPE_CHECKING:
    from django.contrib.auth.models import User

logger = logging.getLogger(__name__)


class SignupTokenGenerator(PasswordResetTokenGenerator):
    """Tokens for the sign-up link, salted apart from password-reset tokens: a reset link
    can never open (or re-open) an account through the sign-up page, nor the reverse."""

    key_salt = "course.accounts.SignupTokenGenerator"


signup_token = SignupTokenGenerator()


class MailNotSent(Exception):
    """The mail server refused or could not be reached; nothing was sent."""


def mail_send(
    *, to: str, subject_template: str, body_template: str, context: dict[str, Any]
) -> None:
    """Send one plain-text mail now, or raise MailNotSent after logging why for the operator."""
    subject = "".join(render_to_string(subject_template, context).splitlines())
    body = render_to_string(body_template, context)
    try:
        connection = get_connection(fail_silently=False)
        EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [to], connection=connection).send()
    except Exception as error:
        logger.error(
            "Mail could not be sent (%s: %s); check the EMAIL_* / DJANGO_EMAIL_URL settings.",
            type(error).__name__, error,
        )
        raise MailNotSent from error


def mail_check() -> None:
    """Raise MailNotSent when the mail server cannot be reached, before anything is
    decided, so the answer does not depend on whether an account exists."""
    try:
        connection = get_connection(fail_silently=False)
        connection.open()
        connection.close()
    except Exception as error:
        logger.error(
            "The mail server cannot be reached (%s: %s); check the EMAIL_* / DJANGO_EMAIL_URL "
            "settings.", type(error).__name__, error,
        )
        raise MailNotSent from error


def _with_next(path: str, next_url: str) -> str:
    return f"{path}?{urlencode({'next': next_url})}" if next_url else path


def _link(request: HttpRequest, name: str, user: User, next_url: str = "") -> str:
    path = reverse(
        name,
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": signup_token.make_token(user),
        },
    )
    return request.build_absolute_uri(_with_next(path, next_url))


def signup_request(*, request: HttpRequest, username: str, email: str, first_name: str,
                   last_name: str, next_url: str = "") -> None:
    """Answer a sign-up by mail to the address given, and nothing else.

    A new address: create the account without a usable password, inactive, and mail a
    link to choose one. An address that has an active account: mail its owner the
    username and the reset link. One with an account never confirmed: mail that account's
    link again. The mail is sent after the account is committed, never inside a transaction
    (on SQLite that would hold the site's write lock through the SMTP exchange); if it cannot
    be sent (MailNotSent) the new account is deleted, so a failed sign-up leaves none
    behind. `next_url` (a path on this site, checked by the caller) rides on the links, so
    the learner ends where the sign-up began.
    """
    users = get_user_model()._default_manager
    existing = users.filter(email__iexact=email).order_by("-is_active", "pk").first()
    context: dict[str, Any] = {"site_name": request.get_host(), "email": email}
    created = None
    if existing is None:
        with transaction.atomic():
            created = user = users.create_user(
                username=username, email=email, first_name=first_name, last_name=last_name,
                is_active=False,
            )
            user.set_unusable_password()
            user.save(update_fields=["password"])
        context |= {"user": user, "link": _link(request, "signup_confirm", user, next_url)}
        template = "registration/signup_confirm_email.txt"
    elif not existing.is_active and not existing.has_usable_password():
        context |= {"user": existing, "link": _link(request, "signup_confirm", existing, next_url)}
        template = "registration/signup_confirm_email.txt"
    else:
        context |= {
            "user": existing,
            "login": request.build_absolute_uri(_with_next(reverse("login"), next_url)),
            "reset": request.build_absolute_uri(reverse("password_reset")),
        }
        template = "registration/signup_existing_email.txt"
    try:
        mail_send(to=email, subject_template="registration/signup_subject.txt",
                  body_template=template, context=context)
    except MailNotSent:
        if created is not None:
            created.delete()
        raise


@transaction.atomic
def signup_confirm(*, user: User, password: str) -> User:
    """Set the password chosen from the emailed link and open the account."""
    user.set_password(password)
    user.is_active = True
    user.save(update_fields=["password", "is_active"])
    return user
