from django.urls import path

from . import views

app_name = "course"

urlpatterns = [
    path("", views.CatalogueView.as_view(), name="catalogue"),
    path("courses/<slug:slug>/", views.course_detail, name="detail"),
    path("courses/<slug:slug>/enrol/", views.enrol, name="enrol"),
    path("courses/<slug:slug>/glossary/", views.glossary, name="glossary"),
    path("courses/<slug:slug>/timeline/", views.timeline, name="timeline"),
    path(
        "courses/<slug:course_slug>/lessons/<slug:slug>/",
        views.lesson_detail,
        name="lesson_detail",
    ),
    path(
        "courses/<slug:course_slug>/lessons/<slug:slug>/complete/",
        views.lesson_complete,
        name="lesson_complete",
    ),
]
