"""Sign-up by email link and password reset: rate-limited, and honest when mail fails."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, login
from django.contrib.auth.forms import PasswordChangeForm, PasswordResetForm, SetPasswordForm
from django.contrib.auth.views import LoginView, PasswordResetView
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import Resolver404, resolve
from django.utils.encoding import force_str
from django.utils.http import url_has_allowed_host_and_scheme, urlsafe_base64_decode
from django.utils.translation import gettext as _
from django_ratelimit.core import is_ratelimited

from . import accounts
from .forms import SignupForm

TOO_MANY = 429
MAIL_DOWN = 503


def _throttled(request: HttpRequest, group: str, rate: str) -> bool:
    """Count this POST against the client address's allowance; True once it is spent."""
    return is_ratelimited(request, group=group, key="ip", rate=rate, method="POST",
                          increment=True)


# Pages anyone may see: a `next` naming one of them is where the visitor chose to go
# back to, not a page that sent them to log in.
OPEN_PAGES = {"course:catalogue", "course:detail", "course:glossary", "course:timeline"}


def safe_next(request: HttpRequest, url: str | None) -> str:
    """`url` when it is a path on this site (so a link cannot send anyone elsewhere), else ""."""
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return ""


def login_reason(next_url: str) -> str:
    """Why the log-in page is shown, when a page that needs an account sent the visitor."""
    try:
        view_name = resolve(next_url.split("?", 1)[0]).view_name if next_url else ""
    except Resolver404:
        return ""
    if view_name == "course:lesson_detail":
        return _("Log in to read this lesson.")
    if not view_name or view_name in OPEN_PAGES:
        return ""
    return _("Log in to see this page.")


class SiteLoginView(LoginView):
    """Django's log-in page, saying why it is shown when a protected page sent the visitor."""

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["reason"] = login_reason(self.get_redirect_url())
        context["signup_next"] = self.get_redirect_url()
        return context


class NewPasswordForm(SetPasswordForm):
    """Django's form, but a password the validators refuse is reported under the password
    field, not under its confirmation."""

    def validate_password_for_user(self, user: Any, password_field_name: str = "") -> None:
        super().validate_password_for_user(user, "new_password1")


class ChangePasswordForm(PasswordChangeForm):
    """Django's form, with the validators' errors under the new password (see above)."""

    def validate_password_for_user(self, user: Any, password_field_name: str = "") -> None:
        super().validate_password_for_user(user, "new_password1")


def signup(request: HttpRequest) -> HttpResponse:
    next_url = safe_next(request, request.POST.get("next") or request.GET.get("next"))
    if request.user.is_authenticated:
        return redirect(next_url or "quizzes:dashboard")
    form = SignupForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        if _throttled(request, "signup", settings.SIGNUP_RATE):
            form.add_error(None, _("Too many sign-ups from your network. Try again in an hour."))
            status = TOO_MANY
        else:
            try:
                accounts.signup_request(request=request, next_url=next_url,
                                        **form.cleaned_data)
            except accounts.MailNotSent:
                form.add_error(None, _(
                    "We could not send the email that finishes your sign-up. Nothing was "
                    "created; please try again later."
                ))
                status = MAIL_DOWN
            else:
                request.session["signup_email"] = form.cleaned_data["email"]
                return redirect("signup_done")
    return render(request, "registration/signup.html", {"form": form, "next": next_url},
                  status=status)


def signup_done(request: HttpRequest) -> HttpResponse:
    return render(request, "registration/signup_done.html",
                  {"email": request.session.get("signup_email", "")})


def _user_from_link(uidb64: str, token: str) -> Any:
    try:
        pk = force_str(urlsafe_base64_decode(uidb64))
        user = get_user_model()._default_manager.get(pk=int(pk))
    except (ValueError, OverflowError, TypeError, get_user_model().DoesNotExist):
        return None
    # Only an account that never had a password: a deactivated account must stay closed.
    if user.is_active or user.has_usable_password():
        return None
    if not accounts.signup_token.check_token(user, token):
        return None
    return user


def signup_confirm(request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
    """The emailed link: choose a password, and the account opens, signed in, on the page
    the sign-up started from (the link's `next`, when it is on this site)."""
    user = _user_from_link(uidb64, token)
    if user is None:
        return render(request, "registration/signup_confirm.html", {"valid": False}, status=400)
    form = NewPasswordForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        accounts.signup_confirm(user=user, password=form.cleaned_data["new_password1"])
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        next_url = safe_next(request, request.GET.get("next"))
        if next_url:
            messages.success(request, _("Welcome! Your account is ready."))
            return redirect(next_url)
        messages.success(request, _("Welcome! Your account is ready. Choose a course to enrol."))
        return redirect("course:catalogue")
    return render(request, "registration/signup_confirm.html", {"valid": True, "form": form})


class ResetForm(PasswordResetForm):
    """Django's reset form, but a mail that cannot be sent is an error, not a log line."""

    def send_mail(self, subject_template_name: str, email_template_name: str,
                  context: dict[str, Any], from_email: str | None, to_email: str,
                  html_email_template_name: str | None = None) -> None:
        accounts.mail_send(to=to_email, subject_template=subject_template_name,
                           body_template=email_template_name, context=context)


class ThrottledPasswordResetView(PasswordResetView):
    form_class = ResetForm
    template_name = "registration/password_reset_form.html"
    email_template_name = "registration/password_reset_email.txt"

    def form_valid(self, form: Any) -> HttpResponse:
        if _throttled(self.request, "password_reset", settings.PASSWORD_RESET_RATE):
            form.add_error(None, _("Too many reset requests from your network. Try again in "
                                   "an hour."))
            return self.render_to_response(self.get_context_data(form=form), status=TOO_MANY)
        try:
            accounts.mail_check()
            return super().form_valid(form)
        except accounts.MailNotSent:
            form.add_error(None, _("We could not send the email just now. Please try again "
                                   "later."))
            return self.render_to_response(self.get_context_data(form=form), status=MAIL_DOWN)
