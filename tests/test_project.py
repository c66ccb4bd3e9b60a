"""Project-level promises: settings, migrations, demo accounts."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse

ROOT = Path(__file__).resolve().parent.parent


def run_settings(module: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    clean.pop("DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env={**clean, "DJANGO_SETTINGS_MODULE": module, **env},
        capture_output=True, text=True, check=False,
    )


def test_prod_settings_refuse_to_start_without_a_secret_key():
    result = run_settings("config.settings.prod", {"DJANGO_ALLOWED_HOSTS": "example.com"})
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_prod_settings_refuse_to_start_without_allowed_hosts():
    result = run_settings("config.settings.prod", {"DJANGO_SECRET_KEY": "x" * 60})
    assert result.returncode != 0
    assert "DJANGO_ALLOWED_HOSTS" in result.stderr


PROD = {"DJANGO_SECRET_KEY": "k" * 30 + "Q9#x!" * 10, "DJANGO_ALLOWED_HOSTS": "example.com"}


def test_prod_settings_pass_the_deployment_checklist():
    result = run_settings(
        "config.settings.prod",
        {**PROD, "DJANGO_EMAIL_URL": "smtp://mailer:secret@mail.example.com:587/?tls=True"},
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_deployment_checklist_warns_when_production_has_no_mail_server():
    result = run_settings("config.settings.prod", PROD)
    assert result.returncode != 0
    assert "config.W001" in result.stderr + result.stdout
    assert "DJANGO_EMAIL_URL" in result.stderr + result.stdout
    with_host = run_settings("config.settings.prod", {**PROD, "EMAIL_HOST": "mail.example.com"})
    assert with_host.returncode == 0, with_host.stdout + with_host.stderr


def test_the_deployment_checklist_warns_when_proxies_are_counted_but_not_named():
    mail = {"DJANGO_EMAIL_URL": "smtp://mailer:secret@mail.example.com:587/?tls=True"}
    unnamed = run_settings("config.settings.prod",
                           {**PROD, **mail, "DJANGO_TRUSTED_PROXY_COUNT": "1"})
    assert "config.W002" in unnamed.stderr + unnamed.stdout
    named = run_settings("config.settings.prod", {**PROD, **mail, "DJANGO_TRUSTED_PROXY_COUNT":
                                                  "1", "DJANGO_TRUSTED_PROXY_IPS": "10.0.0.0/8"})
    assert named.returncode == 0, named.stdout + named.stderr


def test_the_mail_url_configures_the_smtp_connection():
    code = (
        "from django.conf import settings as s;"
        "print(s.EMAIL_HOST, s.EMAIL_PORT, s.EMAIL_HOST_USER, s.EMAIL_USE_TLS, s.EMAIL_BACKEND)"
    )
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-v", "0", "-c", code], cwd=ROOT,
        capture_output=True, text=True, check=True,
        env={**clean, **PROD, "DJANGO_SETTINGS_MODULE": "config.settings.prod",
             "DJANGO_EMAIL_URL": "submission://mailer:secret@mail.example.com"},
    )
    assert result.stdout.split() == [
        "mail.example.com", "587", "mailer", "True", "django.core.mail.backends.smtp.EmailBackend"
    ]


def test_x_forwarded_proto_counts_only_behind_a_trusted_proxy():
    code = (
        "from django.http import HttpResponse;"
        "from django.test import RequestFactory;"
        "from config.proxy import TrustedProxyMiddleware as M;"
        "r = RequestFactory().get('/', HTTP_X_FORWARDED_PROTO='https',"
        " HTTP_X_FORWARDED_FOR='203.0.113.9');"
        "M(lambda q: HttpResponse())(r);"
        "print(r.is_secure(), r.META['REMOTE_ADDR'])"
    )
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env = {**clean, **PROD, "DJANGO_SETTINGS_MODULE": "config.settings.prod"}

    def run(**extra: str) -> list[str]:
        return subprocess.run(
            [sys.executable, "manage.py", "shell", "-v", "0", "-c", code], cwd=ROOT,
            capture_output=True, text=True, check=True, env={**env, **extra},
        ).stdout.split()

    assert run() == ["False", "127.0.0.1"]  # any client could have sent the headers
    assert run(DJANGO_TRUSTED_PROXY_COUNT="1") == ["True", "203.0.113.9"]
    assert run(DJANGO_TRUSTED_PROXY_COUNT="1", DJANGO_TRUSTED_PROXY_IPS="10.0.0.0/8") == [
        "False", "127.0.0.1"  # the peer is not one of the named proxies
    ]


def test_sqlite_settings_use_wal_immediate_transactions_and_a_busy_timeout():
    from config.settings.base import sqlite_database

    options = sqlite_database("x.sqlite3")["OPTIONS"]
    assert options["transaction_mode"] == "IMMEDIATE"
    assert options["timeout"] >= 5
    assert "journal_mode=WAL" in options["init_command"]


@pytest.mark.django_db
def test_no_migration_is_missing():
    out = io.StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=out)


@pytest.mark.django_db
def test_demo_accounts_are_created_once_with_the_demo_password(monkeypatch):
    monkeypatch.delenv("DEMO_PASSWORD", raising=False)
    call_command("load_course", str(settings.COURSE_FIXTURES_DIR), stdout=io.StringIO())
    out = io.StringIO()
    call_command("create_demo_accounts", stdout=out)
    assert "demo-password" in out.getvalue()
    users = get_user_model().objects
    instructor = users.get(username="instructor")
    student = users.get(username="student")
    assert instructor.is_staff
    assert instructor.groups.filter(name="Instructors").exists()
    assert instructor.taught_courses.exists()
    assert student.enrolments.exists()
    assert not student.is_staff
    assert student.check_password("demo-password")
    again = io.StringIO()
    call_command("create_demo_accounts", stdout=again)
    assert "already existed" in again.getvalue()
    assert users.filter(username__in=["instructor", "student"]).count() == 2


@pytest.mark.django_db
def test_migrations_create_no_demo_accounts():
    assert not get_user_model().objects.filter(username__in=["instructor", "student"]).exists()


@pytest.mark.django_db
def test_responses_carry_a_strict_content_security_policy(client):
    response = client.get("/")
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy


@pytest.mark.django_db
def test_the_suite_renders_pages_as_production_does(client):
    assert settings.DEBUG is False
    assert settings.STORAGES["staticfiles"]["BACKEND"] == (
        "whitenoise.storage.CompressedManifestStaticFilesStorage"
    )
    page = client.get(reverse("course:catalogue")).text
    assert re.search(r'href="/static/css/site\.[0-9a-f]{12}\.css"', page), page
