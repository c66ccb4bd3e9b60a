import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def test_signup_creates_an_account_and_logs_in(client):
    response = client.post(
        reverse("signup"),
        {"username": "amina", "email": "amina@example.com", "first_name": "Amina",
         "last_name": "B", "password1": "a-long-pass-phrase-42",
         "password2": "a-long-pass-phrase-42"},
        follow=True,
    )
    assert response.status_code == 200
    assert get_user_model().objects.filter(username="amina").exists()
    assert response.context["user"].is_authenticated


def test_signup_refuses_mismatched_passwords_with_a_message(client):
    response = client.post(
        reverse("signup"),
        {"username": "amina", "email": "amina@example.com",
         "password1": "a-long-pass-phrase-42", "password2": "different-pass-phrase-42"},
    )
    assert response.status_code == 200
    assert "didn’t match" in response.text or "didn't match" in response.text
    assert not get_user_model().objects.filter(username="amina").exists()


def test_signup_refuses_a_taken_email(client):
    UserFactory.create(email="taken@example.com")
    response = client.post(
        reverse("signup"),
        {"username": "other", "email": "TAKEN@example.com",
         "password1": "a-long-pass-phrase-42", "password2": "a-long-pass-phrase-42"},
    )
    assert "already exists" in response.text


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
