from django.contrib import admin
from django.contrib.auth import urls as auth_urls
from django.contrib.auth import views as auth_views
from django.contrib.contenttypes.models import ContentType
from django.contrib.contenttypes.views import shortcut
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db.models import Model
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import include, path, register_converter

from config.converters import IdConverter
from course import account_views
from course.selectors import course_of, taught_course_ids

# <id:…> in every app's URLs: a database id, bounded so an absurd one is a 404.
register_converter(IdConverter, "id")


def _linked_object(content_type_id: str, object_id: str) -> Model | None:
    """The object "view on site" names, or None; ids must be numbers within range."""
    try:
        content_type = ContentType.objects.get(
            pk=ContentType._meta.pk.clean(content_type_id, None)
        )
        model = content_type.model_class()
        if model is None:
            return None
        return model._default_manager.get(
            pk=model._meta.pk.clean(object_id, None)
        )
    except (ObjectDoesNotExist, ValidationError, ValueError):
        return None


def admin_shortcut(request: HttpRequest, content_type_id: str, object_id: str) -> HttpResponse:
    """The admin's "view on site" redirect: for superusers, and for staff to objects of a
    course they teach. For anyone else it would reveal the address of any object, such as
    an unpublished course in another's hands, so it is a 404.

    The route takes whatever the admin's own `r/<path>/<path>/` route takes; staff are
    judged on the object the ids name once read as numbers, and the redirect is built from
    that same object, so no other spelling of an id (`+10`, ` 10`, `010`) reaches another.
    """
    user = request.user
    if user.is_superuser:
        return shortcut(request, content_type_id, object_id)
    if not (user.is_authenticated and user.is_staff):
        raise Http404
    obj = _linked_object(content_type_id, object_id)
    course = course_of(obj) if obj is not None else None
    if obj is None or course is None or not taught_course_ids(user, [course.pk]):
        raise Http404
    content_type = ContentType.objects.get_for_model(obj)
    return shortcut(request, str(content_type.pk), str(obj.pk))


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
    path("accounts/login/", account_views.SiteLoginView.as_view(), name="login"),
    path(
        "accounts/password_change/",
        auth_views.PasswordChangeView.as_view(form_class=account_views.ChangePasswordForm),
        name="password_change",
    ),
    path(
        "accounts/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(form_class=account_views.NewPasswordForm),
        name="password_reset_confirm",
    ),
    # django.contrib.auth's other URLs. The reset request is throttled and reports mail
    # failure; log-in says why it is shown; password errors sit under the password field.
    path(
        "accounts/",
        include([p for p in auth_urls.urlpatterns if getattr(p, "name", "") not in {
            "login", "password_change", "password_reset", "password_reset_confirm",
        }]),
    ),
    path("", include("quizzes.urls")),
    path("", include("gradebook.urls")),
    path("", include("course.urls")),
]
