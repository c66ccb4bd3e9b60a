"""Settings shared by every environment, driven by DJANGO_* environment variables.

dev.py, test.py and prod.py only override what differs.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import Any

import dj_database_url
import dj_email_url
import django_stubs_ext

# Lets Django's generic classes be subscripted at runtime, so admin, form and view classes
# can name their model for the type checker: `admin.ModelAdmin[Quiz]`, `ListView[Course]`.
# It only adds `__class_getitem__`, which returns the class itself; nothing else changes.
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
DEBUG = env_bool("DJANGO_DEBUG", False)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "config.admin.SiteAdminConfig",  # django.contrib.admin with malformed ids refused
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "crispy_forms",
    "crispy_bootstrap5",
    "axes",
    "django_ratelimit",
    "course",
    "quizzes",
    "gradebook",
    "authoring",
]

MIDDLEWARE = [
    # First: everything after it sees the real client address and scheme, or none forged.
    "config.proxy.TrustedProxyMiddleware",
    # Before anything reads a cookie, a parameter or the session from the database.
    "config.middleware.RejectNulMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "config.middleware.PrivateCacheMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "config.middleware.ContentSecurityPolicyMiddleware",
    # Last, as django-axes asks, so it sees the outcome of authentication.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]


def sqlite_database(path: Path | str) -> Any:
    """SQLite tuned for concurrent writers.

    WAL lets readers run beside a writer; IMMEDIATE transactions take the write lock
    at BEGIN, so two writers queue on the busy timeout instead of failing with
    "database is locked" when one upgrades a read lock.
    """
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": path,
        "OPTIONS": {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": (
                "PRAGMA journal_mode=WAL;"
                "PRAGMA synchronous=NORMAL;"
                "PRAGMA foreign_keys=ON;"
            ),
        },
    }


if os.environ.get("DATABASE_URL"):
    DATABASES = {
        "default": dj_database_url.parse(
            os.environ["DATABASE_URL"], conn_max_age=60, conn_health_checks=True
        )
    }
else:
    DATABASES = {"default": sqlite_database(BASE_DIR / "db.sqlite3")}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "quizzes:dashboard"
LOGOUT_REDIRECT_URL = "course:catalogue"

# Reverse proxies in front of the app (a load balancer, nginx). With 0 (the default) the
# X-Forwarded-For and X-Forwarded-Proto headers are ignored: any client could forge them.
# With N, the client address is the Nth address from the right of X-Forwarded-For (the one
# the outermost of our proxies saw), and only requests from DJANGO_TRUSTED_PROXY_IPS
# (addresses or networks; any peer when empty) may set them. See README "Security".
TRUSTED_PROXY_COUNT = env_int("DJANGO_TRUSTED_PROXY_COUNT", 0)
TRUSTED_PROXY_IPS = env_list("DJANGO_TRUSTED_PROXY_IPS")
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if TRUSTED_PROXY_COUNT else None

# Login throttling (OWASP ASVS 2.2.1), three tiers over the same 5-minute window:
# - one account from one address: 10 failures (django-axes' own lockout);
# - one address, whatever the accounts (password spraying): AXES_ADDRESS_FAILURE_LIMIT;
# - one account, whatever the addresses (a distributed guess): AXES_ACCOUNT_FAILURE_LIMIT,
#   set high so that one attacker at one address meets their own address tier long before
#   they could lock a learner out for everyone.
AXES_HANDLER = "course.throttling.TieredAxesHandler"
AXES_FAILURE_LIMIT = 10
AXES_ADDRESS_FAILURE_LIMIT = env_int("DJANGO_LOGIN_ADDRESS_FAILURE_LIMIT", 30)
AXES_ACCOUNT_FAILURE_LIMIT = env_int("DJANGO_LOGIN_ACCOUNT_FAILURE_LIMIT", 100)
AXES_COOLOFF_TIME = timedelta(minutes=5)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# A refused attempt during a lockout is answered with the lockout page at once (whichever
# tier locked), and does not extend the cool-off.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False
# Over-long usernames are cut to what axes' 255-character column holds (and what any
# real username is): a 256-character guess was a 500 on PostgreSQL.
AXES_USERNAME_CALLABLE = "course.throttling.attempted_username"
# An IPv6 client holds a whole /64: counting per address would give it a fresh allowance
# per guess. Addresses are counted per /64 (as django-ratelimit does for sign-up).
AXES_CLIENT_IP_CALLABLE = "course.throttling.client_network"

# Anonymous forms that send mail or create accounts, per client address.
SIGNUP_RATE = os.environ.get("DJANGO_SIGNUP_RATE", "5/h")
PASSWORD_RESET_RATE = os.environ.get("DJANGO_PASSWORD_RESET_RATE", "5/h")
RATELIMIT_USE_CACHE = "shared"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English")]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
LOCALE_PATHS = [BASE_DIR / "locale"]

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# "default" is per process (fast, for what can be recomputed); "shared" is seen by every
# process and machine, for counters such as rate limits: Redis with REDIS_URL, otherwise a
# table in the database (`manage.py createcachetable`, which `make run` runs).
if os.environ.get("REDIS_URL"):
    CACHES = {
        alias: {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["REDIS_URL"],
            "KEY_PREFIX": alias,
        }
        for alias in ("default", "shared")
    }
else:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "shared": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "shared_cache",
        },
    }
# django-ratelimit asks for an atomic increment; the database cache's is a read then a
# write, so two simultaneous requests may both pass at the limit. Acceptable for sign-up
# and reset throttling on one machine; production uses Redis (REDIS_URL).
SILENCED_SYSTEM_CHECKS = ["django_ratelimit.E003", "django_ratelimit.W001"]

# Mail: DJANGO_EMAIL_URL (smtp://user:password@host:587/?tls=True, submission://…,
# console://), or the EMAIL_* variables one by one. Production warns without either.
EMAIL_URL = os.environ.get("DJANGO_EMAIL_URL", "")
_mail: dict[str, Any] = dj_email_url.parse(EMAIL_URL) if EMAIL_URL else {}
EMAIL_BACKEND = _mail.get("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = _mail.get("EMAIL_HOST") or os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = _mail.get("EMAIL_PORT") or env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = _mail.get("EMAIL_HOST_USER") or os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = _mail.get("EMAIL_HOST_PASSWORD") or os.environ.get(
    "EMAIL_HOST_PASSWORD", ""
)
EMAIL_USE_TLS = _mail.get("EMAIL_USE_TLS") or env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = _mail.get("EMAIL_USE_SSL") or env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
DEFAULT_FROM_EMAIL = os.environ.get("DJANGO_DEFAULT_FROM_EMAIL", "webmaster@localhost")
SERVER_EMAIL = os.environ.get("DJANGO_SERVER_EMAIL", DEFAULT_FROM_EMAIL)
MAIL_CONFIGURED = bool(EMAIL_URL or os.environ.get("EMAIL_HOST"))

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Uploads and request bodies stay small: nothing in this app needs more.
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_NUMBER_FIELDS = 2000

# Questions a quiz may hold (active and retired alike) and questions one GIFT/Aiken import
# may add; every way questions come in (admin forms, admin upload, import_questions,
# load_course) refuses more, whole, with a message naming the limit. 500 keeps a quiz that
# asks every question on one page within DATA_UPLOAD_MAX_NUMBER_FIELDS (a single-answer
# question posts at most 3 fields); 200 per file keeps one upload well under a second
# and catches a whole question bank exported by mistake. See docs/limits.md.
QUIZ_MAX_QUESTIONS = int(os.environ.get("DJANGO_QUIZ_MAX_QUESTIONS") or 500)
QUIZ_MAX_QUESTIONS_PER_IMPORT = int(os.environ.get("DJANGO_QUIZ_MAX_QUESTIONS_PER_IMPORT") or 200)

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# Where `make run` and `load_course` find the shipped course.
COURSE_FIXTURES_DIR = BASE_DIR / "fixtures" / "course"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO")},
}

