"""The terms every installation starts with; a provider publishes its own as v2 in the admin."""

from django.db import migrations

from headend.contracts.standard_terms import BODY, EFFECTIVE, LABEL

def create(apps, schema_editor):
    TermsVersion = apps.get_model("contracts", "TermsVersion")
    TermsVersion.objects.using(schema_editor.connection.alias).get_or_create(label=LABEL, defaults={"effective_date": EFFECTIVE, "body": BODY})


def remove(apps, schema_editor):
    TermsVersion = apps.get_model("contracts", "TermsVersion")
    TermsVersion.objects.using(schema_editor.connection.alias).filter(label=LABEL, documents__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("contracts", "0001_initial"),
    ]

    operations = [migrations.RunPython(create, remove)]
