from django.contrib import admin
from django.contrib.auth import urls as auth_urls
from django.contrib.contenttypes.views import shortcut
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import include, path, register_converter

from config.converters import IdConverter
from course import account_views

# <id:…> in every app's URLs: a database id, bounded so an absurd one is a 404.
register_converter(IdConverter, "id")


def admin_shortcut(request: HttpRequest, content_type_id: str, object_id: str) -> HttpResponse:
    """The admin's "view on site" redirect, for superusers only: for anyone else it would
    reveal the address of any object, such as an unpublished course in another's hands.

    The route takes whatever the admin's own `r/<path>/<path>/` route takes, so no other
    spelling of an id (`+10`, ` 10`, `010`) reaches the unguarded view behind it.
    """
    if not request.user.is_superuser:
        raise Http404
    return shortcut(request, content_type_id, object_id)


urlpatterns = [
    path("admin/r/<path:content_type_id>/<path:object_id>/", admin_shortcut),
    path("admin/", admin.site.urls),
    path("accounts/signup/", account_views.signup, name="signup"),
    path("accounts/signup/done/", account_views.signup_done, name="signup_done"),
    path(
        "accounts/signup/<uidb64>/<token>/", account_views.signup_confirm, name="signup_confirm"
    ),
    path(
        "accounts/password_reset/",
        account_views.ThrottledPasswordResetView.as_view(),
        name="password_reset",
    ),
    # django.contrib.auth's URLs, but the reset request is throttled and reports mail failure.
    path(
        "accounts/",
        include([p for p in auth_urls.urlpatterns if getattr(p, "name", "") != "password_reset"]),
    ),
    path("", include("quizzes.urls")),
    path("", include("gradebook.urls")),
    path("", include("course.urls")),
]
