"""The test suite: fast hashing, in-memory email, no login lockouts leaking between tests."""

from .base import *  # noqa: F403

DEBUG = False
SECRET_KEY = "test-secret-key-not-for-production"
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

# Production's static storage, so a page naming a static file that does not exist fails
# the suite as it fails production; tests/conftest.py collects the files once per process.
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
# Look collected files up per static request rather than index all of them every time a
# test client is built (80 ms a client); pages are rendered exactly as in production.
WHITENOISE_AUTOREFRESH = True

# SQLite tests run on a file, as the shipped settings do (WAL, IMMEDIATE transactions, a
# busy timeout), not on Django's shared in-memory database: concurrency tests then open
# real separate connections that contend for the write lock as production's do. Each
# test process gets its own file (two runs at once on one machine never share one).
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    import tempfile as _tempfile

    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": str(
            Path(_tempfile.gettempdir()) / f"balochistan-course-test-{os.getpid()}.sqlite3"  # noqa: F405
        )
    }
