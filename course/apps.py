from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CourseConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "course"
    verbose_name = _("Courses")

    def ready(self) -> None:
        from config import checks  # noqa: F401  registers the project's deploy checks
