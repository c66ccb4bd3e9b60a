from django.urls import path

from . import analysis_views, views

app_name = "gradebook"

urlpatterns = [
    path("courses/<slug:course_slug>/gradebook/", views.gradebook, name="gradebook"),
    path(
        "courses/<slug:course_slug>/gradebook/export/<str:kind>.<str:fmt>",
        views.gradebook_export,
        name="gradebook_export",
    ),
    path(
        "courses/<slug:course_slug>/quizzes/<slug:slug>/preview/",
        views.quiz_preview,
        name="preview",
    ),
    path(
        "courses/<slug:course_slug>/quizzes/<slug:slug>/analysis/",
        analysis_views.item_analysis,
        name="analysis",
    ),
    path(
        "courses/<slug:course_slug>/gradebook/learners/<id:user_id>/",
        views.learner_detail,
        name="learner_detail",
    ),
    path(
        "courses/<slug:course_slug>/gradebook/attempts/<id:pk>/",
        views.attempt_detail,
        name="attempt_detail",
    ),
]
