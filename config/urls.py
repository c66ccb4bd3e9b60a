from django.contrib import admin
from django.contrib.contenttypes.views import shortcut
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import include, path

from course import views as course_views


def admin_shortcut(request: HttpRequest, content_type_id: str, object_id: str) -> HttpResponse:
    """The admin's "view on site" redirect, for superusers only: for anyone else it would
    reveal the address of any object, such as an unpublished course in another's hands.
    """
    if not request.user.is_superuser:
        raise Http404
    return shortcut(request, content_type_id, object_id)


urlpatterns = [
    path("admin/r/<int:content_type_id>/<path:object_id>/", admin_shortcut),
    path("admin/", admin.site.urls),
    path("accounts/signup/", course_views.signup, name="signup"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("", include("quizzes.urls")),
    path("", include("course.urls")),
]
