"""Create the Instructors group: course content and grades, not users or site settings."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

PERMISSIONS = {
    "course": {
        "course": ["view", "change"],
        "lesson": ["view", "add", "change", "delete"],
        "lessonsource": ["view", "add", "change", "delete"],
        "glossaryterm": ["view", "add", "change", "delete"],
        "timelineevent": ["view", "add", "change", "delete"],
        "cohort": ["view", "add", "change", "delete"],
        "enrolment": ["view", "change"],
        "lessonprogress": ["view"],
    },
    "quizzes": {
        "quiz": ["view", "add", "change", "delete"],
        "question": ["view", "add", "change", "delete"],
        "choice": ["view", "add", "change", "delete"],
        "attempt": ["view"],
        "attemptquestion": ["view"],
        "response": ["view"],
    },
}


def create_group(apps, schema_editor):
    # Permissions are normally created after all migrations; make sure they exist now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _created = Group.objects.get_or_create(name="Instructors")
    codenames = [
        (app_label, f"{action}_{model}")
        for app_label, models in PERMISSIONS.items()
        for model, actions in models.items()
        for action in actions
    ]
    permissions = [
        Permission.objects.get(content_type__app_label=app_label, codename=codename)
        for app_label, codename in codenames
    ]
    group.permissions.set(permissions)


def remove_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name="Instructors").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("course", "0001_initial"),
        ("quizzes", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_group, remove_group)]
