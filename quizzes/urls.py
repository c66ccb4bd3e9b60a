from django.urls import path, register_converter

from config.converters import IdConverter

from . import analysis_views, instructor_views, views

register_converter(IdConverter, "id")

app_name = "quizzes"

urlpatterns = [
    path("dashboard/", views.dashboard, name="dashboard"),
    path("courses/<slug:course_slug>/quizzes/<slug:slug>/", views.quiz_detail, name="detail"),
    path(
        "courses/<slug:course_slug>/quizzes/<slug:slug>/start/",
        views.quiz_start,
        name="start",
    ),
    path("attempts/<id:pk>/", views.attempt_take, name="take"),
    path("attempts/<id:pk>/save/", views.attempt_save, name="save"),
    path("attempts/<id:pk>/submit/", views.attempt_submit, name="submit"),
    path("attempts/<id:pk>/result/", views.attempt_result, name="result"),
    path(
        "courses/<slug:course_slug>/gradebook/",
        instructor_views.gradebook,
        name="gradebook",
    ),
    path(
        "courses/<slug:course_slug>/gradebook/export/<str:kind>.<str:fmt>",
        instructor_views.gradebook_export,
        name="gradebook_export",
    ),
    path(
        "courses/<slug:course_slug>/quizzes/<slug:slug>/preview/",
        instructor_views.quiz_preview,
        name="preview",
    ),
    path(
        "courses/<slug:course_slug>/quizzes/<slug:slug>/analysis/",
        analysis_views.item_analysis,
        name="analysis",
    ),
    path(
        "courses/<slug:course_slug>/gradebook/learners/<id:user_id>/",
        instructor_views.learner_detail,
        name="learner_detail",
    ),
    path(
        "courses/<slug:course_slug>/gradebook/attempts/<id:pk>/",
        instructor_views.attempt_detail,
        name="attempt_detail",
    ),
]
