"""Skills now belong to the catalog (catalog 0008); the table `fulfillment_skill` stays where it
is, so this only points fulfillment's references at the catalog's model."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("fulfillment", "0004_attachment_safety"),
        ("catalog", "0008_skill_from_fulfillment"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="task",
                    name="skill",
                    field=models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="tasks",
                        to="catalog.skill",
                    ),
                ),
                migrations.AlterField(
                    model_name="historicaltask",
                    name="skill",
                    field=models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="catalog.skill",
                    ),
                ),
                migrations.AlterField(
                    model_name="technician",
                    name="skills",
                    field=models.ManyToManyField(blank=True, related_name="technicians", to="catalog.skill"),
                ),
                migrations.DeleteModel(name="Skill"),
            ],
            database_operations=[],
        ),
    ]
