from django.contrib import admin
from django.urls import include, path

from course import views as course_views

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/signup/", course_views.signup, name="signup"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("", include("quizzes.urls")),
    path("", include("course.urls")),
]
