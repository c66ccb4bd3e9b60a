"""Malformed ids sent to any admin page are refused with a message, not a 500.

Django's admin passes two request values to the database as sent: the ids of the rows an
action is applied to (`_selected_action`), where a non-number or an id past the column's
range raises in the query, and `_to_field`, where an empty value asks for a field named ""
(FieldDoesNotExist). Both are a 500 on every ModelAdmin, ours and those of
django.contrib.auth and django-axes, so `harden` gives the mixin to every registered one.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponseBase
from django.utils.translation import gettext as _


class StrictIdsAdminMixin:
    def get_object(self, request: HttpRequest, object_id: str, from_field: str | None = None
                   ) -> Any:
        # An empty `_to_field` means the primary key, as an absent one does.
        return super().get_object(request, object_id, from_field or None)  # type: ignore[misc]

    def response_action(self, request: HttpRequest, queryset: Any) -> HttpResponseBase | None:
        pk = self.model._meta.pk  # type: ignore[attr-defined]
        try:
            for value in request.POST.getlist(helpers.ACTION_CHECKBOX_NAME):
                pk.clean(value, None)  # a number within the column's range
        except ValidationError:
            self.message_user(  # type: ignore[attr-defined]
                request, _("The selection names items that do not exist. Nothing was done."),
                messages.WARNING,
            )
            return None  # the admin redirects back to the list
        return super().response_action(request, queryset)  # type: ignore[misc]


def harden(site: admin.AdminSite) -> None:
    """Give every ModelAdmin registered on `site` the StrictIdsAdminMixin."""
    for model, model_admin in list(site._registry.items()):
        if isinstance(model_admin, StrictIdsAdminMixin):
            continue
        base = type(model_admin)
        site.unregister(model)
        site.register(model, type(base.__name__, (StrictIdsAdminMixin, base), {}))
