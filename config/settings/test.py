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
