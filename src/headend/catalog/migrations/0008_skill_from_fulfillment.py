"""Skills move from fulfillment to the catalog, whose templates name them; the table stays
`fulfillment_skill`, so only Django's idea of the model changes (fulfillment 0005 lets go)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0007_history_prices_promotions_templates"),
        ("fulfillment", "0004_attachment_safety"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Skill",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("code", models.SlugField(max_length=40, unique=True)),
                        ("name", models.CharField(max_length=80)),
                    ],
                    options={"ordering": ["name"], "db_table": "fulfillment_skill"},
                ),
                migrations.AlterField(
                    model_name="templatetask",
                    name="skill",
                    field=models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="catalog.skill",
                        verbose_name="required skill",
                    ),
                ),
                migrations.AlterField(
                    model_name="historicaltemplatetask",
                    name="skill",
                    field=models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="catalog.skill",
                        verbose_name="required skill",
                    ),
                ),
            ],
            database_operations=[],
        ),
    ]
