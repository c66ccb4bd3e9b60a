"""The project's admin site: Django's, with malformed ids refused instead of a 500.

Django's admin passes two request values to the database as sent: the ids of the rows an
action is applied to (`_selected_action`), where a non-number or an id past the column's
range raises in the query, and `_to_field`, where an empty value asks for a field named ""
(FieldDoesNotExist). Both were a 500 on every ModelAdmin, ours and those of
django.contrib.auth and django-axes. The site below gives every ModelAdmin registered on
it the mixin that checks them, so no app has to remember to.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.apps import AdminConfig
from django.core.exceptions import ValidationError
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

if TYPE_CHECKING:
    # What the mixin is always combined with, so its super() calls and `self.model` type-check.
    _AdminBase = admin.ModelAdmin[Any]
else:
    _AdminBase = object


class StrictIdsAdminMixin(_AdminBase):
    def get_object(self, request: HttpRequest, object_id: str, from_field: str | None = None
                   ) -> Any:
        # An empty `_to_field` means the primary key, as an absent one does.
        return super().get_object(request, object_id, from_field or None)

    def response_action(self, request: HttpRequest, queryset: QuerySet[Any]
                        ) -> HttpResponse | None:
        pk = self.model._meta.pk
        assert pk is not None  # a model the admin lists has a primary key
        try:
            for value in request.POST.getlist(helpers.ACTION_CHECKBOX_NAME):
                pk.clean(value, None)  # a number within the column's range
        except ValidationError:
            self.message_user(
                request, _("The selection names items that do not exist. Nothing was done."),
                messages.WARNING,
            )
            return None  # the admin redirects back to the list
        return super().response_action(request, queryset)


class Site(admin.AdminSite):
    def register(
        self,
        model_or_iterable: type[Model] | Iterable[type[Model]],
        admin_class: Any = None,
        **options: Any,
    ) -> None:
        admin_class = admin_class or admin.ModelAdmin
        if not issubclass(admin_class, StrictIdsAdminMixin):
            admin_class = type(admin_class.__name__, (StrictIdsAdminMixin, admin_class), {})
        super().register(model_or_iterable, admin_class, **options)


class SiteAdminConfig(AdminConfig):
    """django.contrib.admin, with `Site` as `admin.site`."""

    default_site = "config.admin.Site"
