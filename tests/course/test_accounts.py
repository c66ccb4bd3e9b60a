import re
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client
from django.urls import reverse

from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


SIGNUP = {"username": "amina", "email": "amina@example.com", "first_name": "Amina",
          "last_name": "B"}


def confirm_link(message: Any) -> str:
    match = re.search(r"https?://[^/\s]+(/accounts/signup/[^\s]+/)", message.body)
    assert match, message.body
    return match.group(1)


def test_signup_mails_a_link_and_the_account_opens_once_a_password_is_chosen(client):
    response = client.post(reverse("signup"), SIGNUP, follow=True)
    assert response.redirect_chain[-1][0] == reverse("signup_done")
    assert "amina@example.com" in response.text
    user = get_user_model().objects.get(username="amina")
    assert not user.is_active
    assert not user.has_usable_password()
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["amina@example.com"]
    link = confirm_link(mail.outbox[0])
    response = client.post(
        link, {"new_password1": "a-long-pass-phrase-42", "new_password2": "a-long-pass-phrase-42"},
        follow=True,
    )
    assert response.context["user"].is_authenticated
    user.refresh_from_db()
    assert user.is_active
    assert user.check_password("a-long-pass-phrase-42")
    assert client.get(link).status_code == 400  # the link works once


def test_signup_with_a_registered_email_looks_the_same_and_tells_only_the_owner(client):
    owner = UserFactory.create(username="the-owner", email="taken@example.com")
    fresh = client.post(reverse("signup"), {**SIGNUP, "email": "new@example.com"})
    taken = client.post(reverse("signup"), {**SIGNUP, "username": "other",
                                            "email": "TAKEN@example.com"})
    assert fresh.status_code == taken.status_code == 302
    assert fresh["Location"] == taken["Location"] == reverse("signup_done")
    assert not get_user_model().objects.filter(username="other").exists()
    to_owner = mail.outbox[1]
    assert to_owner.to == ["TAKEN@example.com"]
    assert "already has an account" in to_owner.body
    assert owner.username in to_owner.body
    assert reverse("password_reset") in to_owner.body


def test_signup_still_says_a_username_is_taken(client):
    UserFactory.create(username="amina")
    response = client.post(reverse("signup"), SIGNUP)
    assert response.status_code == 200
    assert "already exists" in response.text
    assert not mail.outbox


def test_signup_that_cannot_send_its_mail_creates_nothing_and_says_so(client, monkeypatch, caplog):
    def refuse(*args: Any, **kwargs: Any) -> int:
        raise ConnectionRefusedError("mail server down")

    monkeypatch.setattr("django.core.mail.backends.locmem.EmailBackend.send_messages", refuse)
    response = client.post(reverse("signup"), SIGNUP)
    assert response.status_code == 503
    assert "could not send the email" in response.text
    assert not get_user_model().objects.filter(username="amina").exists()
    assert "Mail could not be sent" in caplog.text


def test_signup_is_rate_limited_per_address(client, settings):
    settings.SIGNUP_RATE = "3/h"
    statuses = [
        client.post(reverse("signup"), {**SIGNUP, "username": f"u{i}",
                                        "email": f"u{i}@example.com"}).status_code
        for i in range(4)
    ]
    assert statuses == [302, 302, 302, 429]
    assert not get_user_model().objects.filter(username="u3").exists()
    other = Client(REMOTE_ADDR="198.51.100.7")
    assert other.post(reverse("signup"), {**SIGNUP, "username": "u9",
                                          "email": "u9@example.com"}).status_code == 302


def test_password_reset_mails_a_link(client):
    UserFactory.create(username="farid", email="farid@example.com")
    response = client.post(reverse("password_reset"), {"email": "farid@example.com"})
    assert response.status_code == 302
    assert "/accounts/reset/" in mail.outbox[0].body


def test_password_reset_says_when_mail_cannot_be_sent(client, monkeypatch, caplog):
    UserFactory.create(username="farid", email="farid@example.com")

    def refuse(*args: Any, **kwargs: Any) -> int:
        raise ConnectionRefusedError("mail server down")

    monkeypatch.setattr("django.core.mail.backends.locmem.EmailBackend.send_messages", refuse)
    response = client.post(reverse("password_reset"), {"email": "farid@example.com"})
    assert response.status_code == 503
    assert "could not send the email" in response.text
    assert "Mail could not be sent" in caplog.text


def test_password_reset_is_rate_limited_per_address(client, settings):
    settings.PASSWORD_RESET_RATE = "2/h"
    statuses = [
        client.post(reverse("password_reset"), {"email": f"n{i}@example.com"}).status_code
        for i in range(3)
    ]
    assert statuses == [302, 302, 429]


def test_login_and_logout(client):
    UserFactory.create(username="farid")
    response = client.post(reverse("login"), {"username": "farid", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("quizzes:dashboard")
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_wrong_password_does_not_say_whether_the_user_exists(client):
    UserFactory.create(username="farid")
    known = client.post(reverse("login"), {"username": "farid", "password": "nope"})
    unknown = client.post(reverse("login"), {"username": "nobody", "password": "nope"})
    assert known.status_code == unknown.status_code == 200
    assert known.context["form"].errors == unknown.context["form"].errors


def test_login_is_throttled_after_ten_failures(client):
    UserFactory.create(username="farid")
    for _ in range(10):
        client.post(reverse("login"), {"username": "farid", "password": "wrong"})
    response = client.post(reverse("login"), {"username": "farid", "password": PASSWORD})
    assert response.status_code == 429
    assert "Too many failed log-in attempts" in response.text


def test_password_change(client):
    user = UserFactory.create()
    client.force_login(user)
    response = client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": "another-long-phrase-9",
         "new_password2": "another-long-phrase-9"},
        follow=True,
    )
    assert "Your password was changed" in response.text
    user.refresh_from_db()
    assert user.check_password("another-long-phrase-9")
