from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CourseConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "course"
    verbose_name = _("Courses")

    def ready(self) -> None:
        from django.contrib import admin

        from config import checks  # noqa: F401  registers the project's deploy checks

        from .admin_hardening import harden

        # After the admin's autodiscovery (its app is listed first), so every ModelAdmin,
        # django.contrib.auth's and django-axes' included, is registered by now.
        harden(admin.site)
