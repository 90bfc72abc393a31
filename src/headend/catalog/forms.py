import re

from django import forms

from headend.catalog import code_actions
from headend.catalog.models import MrcOffKind, Product, ProductVersion, Skill, TemplateTask, Term
from headend.catalog.services import MAX_TASK_MINUTES, TaskSpec
from headend.core import clock
from headend.core.errors import DomainError
from headend.core.forms import AmountField, WholeNumberField
from headend.core.permissions import WORK_ROLE_CHOICES

DEPENDENCY_RE = re.compile(r"^\s*([0-9]{1,6})\s*(?:\+\s*([0-9]{1,9})\s*)?$")


class TemplateTaskForm(forms.Form):
    name = forms.CharField(max_length=120, required=False)
    kind = forms.ChoiceField(choices=TemplateTask.Kind.choices, initial=TemplateTask.Kind.MANUAL)
    role = forms.ChoiceField(choices=[("", "—"), *WORK_ROLE_CHOICES], required=False)
    skill = forms.ChoiceField(choices=[], required=False)
    planned_minutes = WholeNumberField(minimum=0, maximum=MAX_TASK_MINUTES, initial=60, label="Minutes")
    code_action = forms.ChoiceField(choices=[], required=False)
    code_params = forms.JSONField(
        required=False,
        label="Parameters",
        help_text='JSON for the code action, e.g. {"pool": "residential-v4"}; secrets by name only.',
        widget=forms.Textarea(attrs={"rows": 1}),
    )
    depends_on = forms.CharField(
        required=False,
        max_length=100,
        label="After",
        help_text="Row numbers, with an optional lag in working minutes: 1, 2+480",
    )
    turns_up = forms.BooleanField(required=False, label="Turns up")
    needs_appointment = forms.BooleanField(required=False, label="Appointment")
    undo = forms.CharField(required=False, max_length=120, label="Undo when cancelled")
    checklist = forms.CharField(required=False, max_length=500, help_text="Items separated by ;")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["skill"].choices = [("", "—"), *Skill.objects.values_list("code", "name")]  # type: ignore[attr-defined]
        self.fields["code_action"].choices = [("", "—"), *code_actions.choices()]  # type: ignore[attr-defined]

    def clean_depends_on(self) -> list[tuple[int, int]]:
        value = self.cleaned_data["depends_on"]
        pairs = []
        for part in filter(None, (p.strip() for p in value.split(","))):
            match = DEPENDENCY_RE.match(part)
            if not match:
                raise forms.ValidationError(f"{part!r}: write a row number, or row+lag such as 2+480.")
            pairs.append((int(match.group(1)), int(match.group(2) or 0)))
        return pairs


class BaseTemplateTaskFormSet(forms.BaseFormSet):
    def specs(self) -> list[TaskSpec]:
        """The filled rows as TaskSpecs, dependencies turned from row numbers into names."""
        rows = [form.cleaned_data for form in self.forms if form.cleaned_data.get("name")]
        names = {number: row["name"].strip() for number, row in enumerate(rows, start=1)}
        specs = []
        for number, row in enumerate(rows, start=1):
            depends_on: list[str | tuple[str, int]] = []
            for position, lag in row["depends_on"]:
                if position not in names or position == number:
                    raise forms.ValidationError(f"Row {number} depends on row {position}, which is not another task.")
                depends_on.append((names[position], lag))
            specs.append(
                TaskSpec(
                    name=row["name"],
                    kind=row["kind"],
                    role=row["role"],
                    planned_minutes=row["planned_minutes"],
                    code_action=row["code_action"],
                    code_params=row["code_params"] or {},
                    depends_on=depends_on,
                    skill=row["skill"],
                    turns_up=row["turns_up"],
                    needs_appointment=row["needs_appointment"],
                    undo=row["undo"],
                    checklist=[item.strip() for item in row["checklist"].split(";") if item.strip()],
                )
            )
        return specs


TemplateTaskFormSet = forms.formset_factory(TemplateTaskForm, formset=BaseTemplateTaskFormSet, extra=3)


def initial_rows(template) -> list[dict]:
    tasks = list(template.tasks.all()) if template else []
    position = {task.pk: number for number, task in enumerate(tasks, start=1)}
    return [
        {
            "name": task.name,
            "kind": task.kind,
            "role": task.role,
            "skill": task.skill.code if task.skill else "",
            "planned_minutes": task.planned_minutes,
            "code_action": task.code_action,
            "code_params": task.code_params or None,
            "depends_on": ", ".join(
                f"{position[dep.predecessor_id]}" + (f"+{dep.lag_minutes}" if dep.lag_minutes else "")
                for dep in task.dependencies.all()
            ),
            "turns_up": task.turns_up,
            "needs_appointment": task.needs_appointment,
            "undo": task.undo,
            "checklist": "; ".join(task.checklist),
        }
        for task in tasks
    ]


# Rollout (issue 17): a new version from an existing one, a new product from a copy.

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
PROMOTION_FIELDS = (
    "code",
    "name",
    "mrc_off_kind",
    "mrc_off_value",
    "mrc_off_months",
    "waives_installation",
    "valid_to",
)


class VersionFromForm(forms.Form):
    """The new version's effective date, prices per term (prefilled from the source; both empty:
    not sold on that term), floor and speeds, and optionally a promotion of its own. With
    `copy=True`, also the new product's code, name and delivery (prefilled from the source's)."""

    code = forms.SlugField(max_length=60, label="Product code", help_text="Letters, digits and dashes: fiber-500")
    name = forms.CharField(max_length=120, label="Product name")
    delivery = forms.ChoiceField(
        choices=Product.Delivery.choices,
        required=False,  # not sent: the source's
        label="Delivery",
        help_text="Our network: sold where our coverage reaches. Wholesale partner: sold off our network too.",
    )
    effective_from = forms.DateField(widget=DATE, label="Effective from", help_text="Today or later.")
    floor_mrc = AmountField(required=False, label="Floor (monthly per unit)", help_text="Empty: no floor.")
    download_mbps = WholeNumberField(minimum=1, maximum=1_000_000, required=False, label="Download (Mbps)")
    upload_mbps = WholeNumberField(minimum=1, maximum=1_000_000, required=False, label="Upload (Mbps)")
    promotion_name = forms.CharField(max_length=120, required=False, label="Promotion name")
    promotion_code = forms.SlugField(max_length=60, required=False, label="Promotion code")
    promotion_mrc_off_kind = forms.ChoiceField(
        choices=MrcOffKind.choices, initial=MrcOffKind.PERCENT, required=False, label="Monthly discount"
    )
    promotion_mrc_off_value = AmountField(required=False, label="Percent or amount off")
    promotion_mrc_off_months = WholeNumberField(minimum=0, maximum=120, required=False, label="For the first (months)")
    promotion_waives_installation = forms.BooleanField(required=False, label="Installation waived")
    promotion_valid_to = forms.DateField(
        widget=DATE, required=False, label="Promotion ends", help_text="Last day it can be quoted; empty: open-ended."
    )

    def __init__(self, *args, source: ProductVersion, copy: bool = False, **kwargs):
        prices = {price.term_months: price for price in source.prices.all()}
        initial = {
            "delivery": source.product.delivery,
            "effective_from": clock.today(),
            "floor_mrc": source.floor_mrc_amount,
            "download_mbps": source.download_mbps,
            "upload_mbps": source.upload_mbps,
        }
        for term in Term.values:
            if term in prices:
                initial[f"price_{term}_mrc"] = prices[term].mrc_amount
                initial[f"price_{term}_nrc"] = prices[term].nrc_amount
        kwargs["initial"] = initial | kwargs.get("initial", {})
        super().__init__(*args, **kwargs)
        if not copy:
            del self.fields["code"], self.fields["name"], self.fields["delivery"]
        for term, label in Term.choices:
            self.fields[f"price_{term}_mrc"] = AmountField(required=False, label=f"{label}: monthly")
            self.fields[f"price_{term}_nrc"] = AmountField(required=False, label=f"{label}: one-time")

    def price_rows(self) -> list[tuple[str, forms.BoundField, forms.BoundField]]:
        return [(str(label), self[f"price_{term}_mrc"], self[f"price_{term}_nrc"]) for term, label in Term.choices]

    def promotion_fields(self) -> list[forms.BoundField]:
        return [self[f"promotion_{name}"] for name in PROMOTION_FIELDS]

    def clean(self) -> dict:
        data = super().clean() or {}
        prices = {}
        for term, label in Term.choices:
            mrc, nrc = data.get(f"price_{term}_mrc"), data.get(f"price_{term}_nrc")
            if mrc is None and nrc is None:
                continue
            if mrc is None:
                self.add_error(f"price_{term}_mrc", f"Give the {str(label).lower()} monthly price, or clear both.")
                continue
            prices[term] = (mrc, nrc if nrc is not None else "0")
        if not prices and not self.errors:
            self.add_error(None, "Price at least one term.")
        data["prices"] = prices
        return data

    def promotion(self) -> dict | None:
        """promotion_create's fields, or None when no promotion is named."""
        data = self.cleaned_data
        if not data.get("promotion_name") and not data.get("promotion_code"):
            return None
        return {
            "code": data.get("promotion_code") or "",
            "name": data.get("promotion_name") or "",
            "mrc_off_kind": data.get("promotion_mrc_off_kind") or MrcOffKind.NONE,
            "mrc_off_value": data.get("promotion_mrc_off_value") or "0",
            "mrc_off_months": data.get("promotion_mrc_off_months") or 0,
            "waives_installation": data.get("promotion_waives_installation", False),
            "valid_to": data.get("promotion_valid_to"),
        }

    def use_case_values(self) -> dict:
        data = self.cleaned_data
        values = {
            "effective_from": data["effective_from"],
            "prices": data["prices"],
            "floor_mrc": data.get("floor_mrc"),
            "download_mbps": data.get("download_mbps"),
            "upload_mbps": data.get("upload_mbps"),
            "promotion": self.promotion(),
        }
        if "code" in self.fields:
            values |= {"code": data["code"], "name": data["name"]}
            if data.get("delivery"):
                values["delivery"] = data["delivery"]
        return values

    def add_use_case_error(self, exc: DomainError) -> None:
        """The use case's field (`prices[12]`, `promotion.code`, `floor_mrc`) as this form's."""
        field = exc.field or ""
        if field.startswith("prices[") and field.endswith("]"):
            field = f"price_{field[len('prices[') : -1]}_mrc"
        elif field.startswith("promotion."):
            field = "promotion_" + field.removeprefix("promotion.").split("[")[0]
        if field == "promotion_valid_from":
            field = "effective_from"
        self.add_error(field if field in self.fields else None, exc.message)


class PreviewForm(forms.Form):
    """The example line of a preview quote: a term the version is sold on and a quantity."""

    term_months = forms.TypedChoiceField(coerce=int, label="Term")
    quantity = WholeNumberField(minimum=1, maximum=10_000, initial=1, label="Quantity")

    def __init__(self, *args, version: ProductVersion, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["term_months"].choices = [  # type: ignore[attr-defined]
            (price.term_months, price.get_term_months_display()) for price in version.prices.all()
        ]
