import re
from typing import Any
from urllib.parse import quote

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


def test_login_page_offers_a_password_reset(client):
    response = client.get(reverse("login"))
    assert f'href="{reverse("password_reset")}"' in response.text
    assert "Forgot password?" in response.text


def test_login_reached_from_a_lesson_says_why(client):
    from tests.factories import CourseFactory, LessonFactory

    lesson = LessonFactory.create(course=CourseFactory.create())
    response = client.get(lesson.get_absolute_url(), follow=True)
    assert response.redirect_chain[-1][0].startswith(reverse("login"))
    assert "Log in to read this lesson." in response.text


def test_login_reached_from_another_protected_page_says_why(client):
    response = client.get(reverse("quizzes:dashboard"), follow=True)
    assert "Log in to see this page." in response.text


@pytest.mark.parametrize("query", ["", "?next=/", "?next=https://evil.example/dashboard/"])
def test_login_chosen_by_the_visitor_gives_no_reason(client, query):
    response = client.get(reverse("login") + query)
    assert "Log in to see this page" not in response.text
    assert "Log in to read this lesson" not in response.text


def test_signup_from_a_course_ends_on_that_course_ready_to_enrol(client):
    from tests.factories import CourseFactory

    course = CourseFactory.create()
    course_url = course.get_absolute_url()
    page = client.get(course_url)
    signup_url = f"{reverse('signup')}?next={quote(course_url)}"
    assert f'href="{signup_url}"' in page.text
    form = client.get(signup_url)
    assert f'name="next" value="{course_url}"' in form.text
    client.post(reverse("signup"), {**SIGNUP, "next": course_url})
    link = re.search(r"https?://[^/\s]+(/accounts/signup/\S+)", str(mail.outbox[0].body))
    assert link, mail.outbox[0].body
    assert link.group(1).endswith(f"?next={quote(course_url, safe='')}")
    response = client.post(link.group(1), {"new_password1": "a-long-pass-phrase-42",
                                           "new_password2": "a-long-pass-phrase-42"})
    assert response["Location"] == course_url
    landing = client.get(course_url)
    assert "Your account is ready" in landing.text
    assert "Enrol in this course" in landing.text


def test_signup_drops_a_next_that_leaves_the_site(client):
    client.post(reverse("signup"), {**SIGNUP, "next": "https://evil.example/"})
    link = confirm_link(mail.outbox[0])
    assert "next=" not in mail.outbox[0].body
    response = client.post(link + "?next=//evil.example/",
                           {"new_password1": "a-long-pass-phrase-42",
                            "new_password2": "a-long-pass-phrase-42"})
    assert response["Location"] == reverse("course:catalogue")


def test_signup_reminder_to_a_registered_address_logs_in_back_to_the_course(client):
    UserFactory.create(email="amina@example.com")
    client.post(reverse("signup"), {**SIGNUP, "username": "x", "next": "/courses/c/"})
    assert f"{reverse('login')}?next=%2Fcourses%2Fc%2F" in mail.outbox[0].body


def _new_user_link(client: Client) -> str:
    client.post(reverse("signup"), SIGNUP)
    return confirm_link(mail.outbox[0])


def _reset_link(client: Client) -> str:
    UserFactory.create(email="farid@example.com")
    client.post(reverse("password_reset"), {"email": "farid@example.com"})
    match = re.search(r"https?://[^/\s]+(/accounts/reset/\S+/)", str(mail.outbox[0].body))
    assert match, mail.outbox[0].body
    return client.get(match.group(1), follow=True).redirect_chain[-1][0]  # set-password URL


def test_a_short_password_is_reported_under_the_password_field_on_signup(client):
    response = client.post(_new_user_link(client),
                           {"new_password1": "short", "new_password2": "short"})
    errors = response.context["form"].errors
    assert "too short" in str(errors["new_password1"])
    assert "new_password2" not in errors


def test_a_short_password_is_reported_under_the_password_field_on_reset(client):
    response = client.post(_reset_link(client),
                           {"new_password1": "short", "new_password2": "short"})
    errors = response.context["form"].errors
    assert "too short" in str(errors["new_password1"])
    assert "new_password2" not in errors
    assert 'id="error_1_id_new_password1"' in response.text


def test_a_short_password_is_reported_under_the_password_field_on_change(client):
    user = UserFactory.create()
    client.force_login(user)
    response = client.post(reverse("password_change"), {
        "old_password": PASSWORD, "new_password1": "short", "new_password2": "short",
    })
    errors = response.context["form"].errors
    assert "too short" in str(errors["new_password1"])
    assert "new_password2" not in errors


def test_mismatched_passwords_are_reported_under_the_confirmation(client):
    response = client.post(_new_user_link(client), {
        "new_password1": "a-long-pass-phrase-42", "new_password2": "a-long-pass-phrase-43",
    })
    assert set(response.context["form"].errors) == {"new_password2"}


def test_reset_pages_are_in_the_site_layout(client, django_assert_max_num_queries):
    link = _reset_link(client)
    with django_assert_max_num_queries(8):
        page = client.get(link)
    assert "Choose a new password" in page.text
    assert "Skip to main content" in page.text
    done = client.post(link, {"new_password1": "another-long-phrase-7",
                              "new_password2": "another-long-phrase-7"}, follow=True)
    assert "Your new password is set" in done.text
    assert "Skip to main content" in done.text
    assert "This link no longer works" in client.get(link).text


def test_a_password_reset_link_cannot_reopen_a_deactivated_account(client):
    """Sign-up and reset links are salted apart, and only an account that never had a
    password can be opened from the sign-up page: a deactivated member of staff stays out."""
    from django.contrib.auth.tokens import default_token_generator
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    user = UserFactory.create(username="former", is_staff=True)
    token = default_token_generator.make_token(user)
    get_user_model().objects.filter(pk=user.pk).update(is_active=False)
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    url = reverse("signup_confirm", kwargs={"uidb64": uid, "token": token})
    response = client.post(url, {"new_password1": "a-long-pass-phrase-42",
                                 "new_password2": "a-long-pass-phrase-42"})
    assert response.status_code == 400
    user.refresh_from_db()
    assert not user.is_active


def test_a_signup_link_does_not_work_as_a_reset_link(client):
    client.post(reverse("signup"), SIGNUP)
    link = confirm_link(mail.outbox[0])
    uid, token = link.rstrip("/").split("/")[-2:]
    reset = reverse("password_reset_confirm", kwargs={"uidb64": uid, "token": token})
    response = client.get(reset, follow=True)
    assert "no longer works" in response.text or "invalid" in response.text.lower()
