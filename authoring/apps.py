from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuthoringConfig(AppConfig):
    """Getting content in and out: the course loader, GIFT and Aiken import, demo accounts."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "authoring"
    verbose_name = _("Authoring")
