from django.urls import path

from . import views

app_name = "quizzes"

urlpatterns = [
    path("dashboard/", views.dashboard, name="dashboard"),
    path("courses/<slug:course_slug>/quizzes/<slug:slug>/", views.quiz_detail, name="detail"),
    path(
        "courses/<slug:course_slug>/quizzes/<slug:slug>/start/",
        views.quiz_start,
        name="start",
    ),
    path("attempts/<int:pk>/", views.attempt_take, name="take"),
    path("attempts/<int:pk>/save/", views.attempt_save, name="save"),
    path("attempts/<int:pk>/submit/", views.attempt_submit, name="submit"),
    path("attempts/<int:pk>/result/", views.attempt_result, name="result"),
    path("courses/<slug:course_slug>/gradebook/", views.gradebook, name="gradebook"),
    path(
        "courses/<slug:course_slug>/gradebook/export.csv",
        views.gradebook_export,
        name="gradebook_export",
    ),
]
