from django.db import migrations


def create_roles(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for name in ("finance", "director"):
        Group.objects.using(schema_editor.connection.alias).get_or_create(name=name)


class Migration(migrations.Migration):
    dependencies = [("core", "0002_staff_roles")]

    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
