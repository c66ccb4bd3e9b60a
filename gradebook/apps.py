from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GradebookConfig(AppConfig):
    """Read-only instructor reporting: the grade query layer, exports, item analysis,
    charts and the instructor's pages. No models of its own."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "gradebook"
    verbose_name = _("Gradebook")
