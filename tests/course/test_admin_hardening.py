"""Malformed admin requests found by tests/test_hostile_input.py: each a 500 before."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from course.models import Course, Enrolment
from tests.factories import CourseFactory, EnrolmentFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def root(client):
    user = UserFactory.create(username="root", is_staff=True, is_superuser=True)
    client.force_login(user)
    return user


@pytest.mark.parametrize("selected", ["abc", "", "9" * 40, "-9223372036854775809"])
def test_action_on_malformed_ids_is_refused_and_deletes_nothing(client, root, selected):
    CourseFactory.create()
    response = client.post(reverse("admin:course_course_changelist"), {
        "action": "delete_selected", "index": "0", "_selected_action": [selected],
    })
    assert response.status_code == 302
    assert Course.objects.count() == 1


def test_django_auth_admins_refuse_malformed_ids_too(client, root):
    response = client.post(reverse("admin:auth_group_changelist"), {
        "action": "delete_selected", "index": "0", "_selected_action": ["abc"],
    })
    assert response.status_code == 302
    assert Group.objects.filter(name="Instructors").exists()


def test_empty_to_field_means_the_primary_key(client, root):
    course = CourseFactory.create()
    url = reverse("admin:course_course_change", args=[course.pk])
    assert client.get(url, {"_to_field": ""}).status_code == 200
    assert client.post(url + "?_to_field=", {"title": ""}).status_code == 200


def test_save_as_new_with_errors_shows_the_form_again(client, root):
    course = CourseFactory.create()
    url = reverse("admin:course_course_change", args=[course.pk])
    response = client.post(url, {"_saveasnew": "1", "title": "", "slug": course.slug})
    assert response.status_code == 200
    assert Course.objects.count() == 1


def test_enrolment_form_takes_a_learner_enrolled_in_two_courses(client, root):
    learner = UserFactory.create()
    first, second = CourseFactory.create(), CourseFactory.create()
    enrolment = EnrolmentFactory.create(user=learner, course=first)
    EnrolmentFactory.create(user=learner, course=second)
    url = reverse("admin:course_enrolment_change", args=[enrolment.pk])
    response = client.post(url, {"user": learner.pk, "course": first.pk, "cohort": "x"})
    assert response.status_code == 200  # the form names the bad cohort
    assert Enrolment.objects.get(pk=enrolment.pk).cohort is None
