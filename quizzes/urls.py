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
    path(
        "courses/<slug:course_slug>/quizzes/<slug:slug>/start/confirm/",
        views.quiz_start_confirm,
        name="start_confirm",
    ),
    path("attempts/<id:pk>/", views.attempt_take, name="take"),
    path("attempts/<id:pk>/save/", views.attempt_save, name="save"),
    path("attempts/<id:pk>/submit/", views.attempt_submit, name="submit"),
    path("attempts/<id:pk>/summary/", views.attempt_summary, name="summary"),
    path("attempts/<id:pk>/result/", views.attempt_result, name="result"),
]
