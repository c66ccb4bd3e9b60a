import os
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from course.models import Course
from course.services import enrolment_create


class Command(BaseCommand):
    help = (
        "Create, when missing, the demo accounts 'instructor' (staff, Instructors group, "
        "instructor of the course) and 'student' (enrolled). Password: $DEMO_PASSWORD or "
        "'demo-password'. Existing accounts keep their password."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--course", default="balochistan-strikes-2024",
                            help="Slug of the course to attach the accounts to.")

    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> None:
        course = Course.objects.filter(slug=options["course"]).first()
        if course is None:
            raise CommandError(
                f"No course with slug '{options['course']}'. Run 'manage.py load_course' first."
            )
        password = os.environ.get("DEMO_PASSWORD") or "demo-password"
        group = Group.objects.get(name="Instructors")
        User = get_user_model()
        instructor, created_i = User.objects.get_or_create(
            username="instructor",
            defaults={"first_name": "Demo", "last_name": "Instructor", "is_staff": True,
                      "email": "instructor@example.com"},
        )
        if created_i:
            instructor.set_password(password)
            instructor.save()
        instructor.groups.add(group)
        course.instructors.add(instructor)
        student, created_s = User.objects.get_or_create(
            username="student",
            defaults={"first_name": "Demo", "last_name": "Student",
                      "email": "student@example.com"},
        )
        if created_s:
            student.set_password(password)
            student.save()
        enrolment_create(user=student, course=course)
        for user, created, role in [(instructor, created_i, "instructor"),
                                    (student, created_s, "student")]:
            state = f"password: {password}" if created else "already existed, password unchanged"
            self.stdout.write(f"Demo {role}: username '{user.get_username()}' ({state})")
