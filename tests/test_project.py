"""Project-level promises: settings, migrations, demo accounts."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command

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


def test_prod_settings_pass_the_deployment_checklist():
    result = run_settings(
        "config.settings.prod",
        {"DJANGO_SECRET_KEY": "k" * 30 + "Q9#x!" * 10, "DJANGO_ALLOWED_HOSTS": "example.com"},
    )
    assert result.returncode == 0, result.stdout + result.stderr


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
