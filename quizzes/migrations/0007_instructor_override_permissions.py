"""Let the Instructors group grant overrides and read regrade records."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

PERMISSIONS = {
    "quizoverride": ["view", "add", "change", "delete"],
    "regraderun": ["view"],
    "regradechange": ["view"],
}


def grant(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _created = Group.objects.get_or_create(name="Instructors")
    for model, actions in PERMISSIONS.items():
        for action in actions:
            group.permissions.add(
                Permission.objects.get(
                    content_type__app_label="quizzes", codename=f"{action}_{model}"
                )
            )


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group = Group.objects.filter(name="Instructors").first()
    if group is None:
        return
    codenames = [f"{a}_{m}" for m, actions in PERMISSIONS.items() for a in actions]
    group.permissions.remove(
        *Permission.objects.filter(content_type__app_label="quizzes", codename__in=codenames)
    )


class Migration(migrations.Migration):
    dependencies = [("quizzes", "0006_regrade_audit")]

    operations = [migrations.RunPython(grant, revoke)]
