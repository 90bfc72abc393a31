from django.db import migrations


def create_role(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Group.objects.using(schema_editor.connection.alias).get_or_create(name="integration")


class Migration(migrations.Migration):
    dependencies = [("core", "0003_finance_and_director_roles")]

    operations = [migrations.RunPython(create_role, migrations.RunPython.noop)]
