import json
import re
from typing import Any, cast

from django import forms
from django.http import QueryDict

from headend.catalog import code_actions
from headend.catalog.models import DataCapAction, MrcOffKind, Product, ProductVersion, Skill, TemplateTask, Term
from headend.catalog.services import MAX_TASK_MINUTES, TaskSpec
from headend.core import clock
from headend.core.errors import DomainError
from headend.core.forms import AmountField, WholeNumberField
from headend.core.permissions import WORK_ROLE_CHOICES

DEPENDENCY_RE = re.compile(r"^\s*([0-9]{1,6})\s*(?:\+\s*([0-9]{1,9})\s*)?$")


class ParametersField(forms.JSONField):
    """A code task's parameters as JSON; text that is not JSON is refused saying where it breaks."""

    def prepare_value(self, value: Any) -> Any:
        return "" if value is None else super().prepare_value(value)  # no parameters: empty, not "null"

    def to_python(self, value: Any) -> Any:
        try:
            return super().to_python(value)
        except forms.ValidationError:
            try:
                json.loads(value)
            except json.JSONDecodeError as exc:
                raise forms.ValidationError(
                    f"Not valid JSON ({exc.msg.lower()} at character {exc.pos + 1}); "
                    'write an object such as {"pool": "residential-v4"}.',
                    code="invalid",
                ) from None
            raise


class TemplateTaskForm(forms.Form):
    name = forms.CharField(max_length=120, required=False, label="Task")
    kind = forms.ChoiceField(choices=TemplateTask.Kind.choices, initial=TemplateTask.Kind.MANUAL)
    role = forms.ChoiceField(choices=[("", "—"), *WORK_ROLE_CHOICES], required=False)
    skill = forms.ChoiceField(choices=[], required=False)
    planned_minutes = WholeNumberField(minimum=0, maximum=MAX_TASK_MINUTES, initial=60, label="Minutes")
    code_action = forms.ChoiceField(choices=[], required=False, label="Code action")
    code_params = ParametersField(
        required=False,
        label="Parameters (JSON)",
        widget=forms.Textarea(attrs={"rows": 1}),
    )
    depends_on = forms.CharField(
        required=False,
        max_length=100,
        label="After",
    )
    turns_up = forms.BooleanField(required=False, label="Turns up")
    needs_appointment = forms.BooleanField(required=False, label="Appointment")
    undo = forms.CharField(required=False, max_length=120, label="Undo when cancelled")
    checklist = forms.CharField(
        required=False, max_length=6000, label="Checklist (;)", widget=forms.Textarea(attrs={"rows": 1})
    )
    equipment = forms.CharField(
        required=False,
        max_length=6000,
        label="Equipment (;)",
        widget=forms.Textarea(attrs={"rows": 1}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["skill"].choices = [("", "—"), *Skill.objects.values_list("code", "name")]  # type: ignore[attr-defined]
        self.fields["code_action"].choices = [("", "—"), *code_actions.choices()]  # type: ignore[attr-defined]
        # Each input names its column and row for a screen reader: the grid has no labels.
        row = self.row_number
        for field in self.fields.values():
            field.widget.attrs.setdefault("aria-label", f"{field.label or ''} (row {row})".strip())

    @property
    def row_number(self) -> int:
        """The row as staff see it, from 1 (the form's place in its formset)."""
        try:
            return int((self.prefix or "").rsplit("-", 1)[-1]) + 1
        except ValueError:
            return 1

    def clean_depends_on(self) -> list[tuple[int, int]]:
        value = self.cleaned_data["depends_on"]
        pairs = []
        for part in filter(None, (p.strip() for p in value.split(","))):
            match = DEPENDENCY_RE.match(part)
            if not match:
                raise forms.ValidationError(f"{part!r}: write a row number, or row+lag such as 2+480.")
            pairs.append((int(match.group(1)), int(match.group(2) or 0)))
        return pairs


def _items(text: str) -> list[str]:
    return [item.strip() for item in (text or "").split(";") if item.strip()]


class BaseTemplateTaskFormSet(forms.BaseFormSet):
    """The rows of a template; a row without a name is left out. "After" names rows by the
    number shown beside them."""

    def filled_forms(self) -> list[TemplateTaskForm]:
        """The forms of the rows that become tasks, in order: the use case's tasks[1], tasks[2]...
        Decided once: an error put on a row takes its name out of its cleaned data."""
        if not hasattr(self, "_filled"):
            forms_ = cast(list[TemplateTaskForm], self.forms)
            self._filled = [form for form in forms_ if form.cleaned_data.get("name", "").strip()]
        return self._filled

    def clean(self) -> None:
        """A row waits only for another filled row: the error goes on the row that names it."""
        if any(self.errors):
            return
        filled = {form.row_number for form in self.filled_forms()}
        for form in self.filled_forms():
            for number, _ in form.cleaned_data["depends_on"]:
                if number == form.row_number:
                    form.add_error("depends_on", "A task cannot wait for itself.")
                elif number not in filled:
                    form.add_error("depends_on", f"Row {number} is not a task: give the number of a filled row.")

    def specs(self) -> list[TaskSpec]:
        """The filled rows as TaskSpecs, dependencies turned from row numbers into names."""
        forms_ = self.filled_forms()
        names = {form.row_number: form.cleaned_data["name"].strip() for form in forms_}
        specs = []
        for form in forms_:
            row = form.cleaned_data
            specs.append(
                TaskSpec(
                    name=row["name"],
                    kind=row["kind"],
                    role=row["role"],
                    planned_minutes=row["planned_minutes"],
                    code_action=row["code_action"],
                    code_params=row["code_params"] or {},
                    depends_on=[(names[number], lag) for number, lag in row["depends_on"] if number in names],
                    skill=row["skill"],
                    turns_up=row["turns_up"],
                    needs_appointment=row["needs_appointment"],
                    undo=row["undo"],
                    checklist=_items(row["checklist"]),
                    equipment=_items(row["equipment"]),
                )
            )
        return specs

    def add_use_case_error(self, exc: DomainError) -> bool:
        """Put a use case's problem (`tasks[2].code_params.family`) on the row and field it names,
        in words ("Parameter “family”: ..."). False when it names no row (the template as a whole)."""
        field = exc.field or ""
        match = re.match(r"^tasks\[(\d+)\](?:\.(\w+))?(?:\.(.+))?$", field)
        forms_ = self.filled_forms()
        if match is None or not 1 <= int(match.group(1)) <= len(forms_):
            return False
        form = forms_[int(match.group(1)) - 1]
        name, detail = match.group(2) or "name", match.group(3)
        message = f"Parameter “{detail}”: {exc.message}" if detail and name == "code_params" else exc.message
        form.add_error(name if name in form.fields else None, message)
        return True


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
            "equipment": "; ".join(task.equipment),
        }
        for task in tasks
    ]


# Rows moved, deleted and added before saving: the editor's buttons, which work without JavaScript
# (each is a submit button; the rows come back re-numbered, nothing is saved).

ROW_FIELDS = tuple(TemplateTaskForm.base_fields)
MAX_ROWS = 200


def _row_values(data: QueryDict, prefix: str) -> list[dict[str, list[str]]] | None:
    try:
        total = int(data.get(f"{prefix}-TOTAL_FORMS", ""))
    except ValueError:
        return None
    if not 0 <= total <= MAX_ROWS:
        return None
    return [{name: data.getlist(f"{prefix}-{index}-{name}") for name in ROW_FIELDS} for index in range(total)]


def _row_name(row: dict[str, list[str]], number: int) -> str:
    name = (row["name"] or [""])[0].strip()
    return f"“{name}”" if name else f"row {number}"


def rows_edit(data: QueryDict, *, prefix: str = "tasks") -> tuple[QueryDict, str] | None:
    """The form's data with one row moved up or down (`move=up-2`), deleted (`delete=2`) or a
    blank row added (`add`), and what changed in words; None when the post is no such edit.

    "After" numbers follow the rows they name; a dependency on a deleted row is removed, and
    the message says which tasks no longer wait for it."""
    rows = _row_values(data, prefix)
    if rows is None:
        return None
    order = list(range(len(rows)))
    note = ""
    if "add" in data:
        if len(rows) >= MAX_ROWS:
            return None
        blank: dict[str, list[str]] = {name: [] for name in ROW_FIELDS}
        blank |= {"kind": [str(TemplateTask.Kind.MANUAL)], "planned_minutes": ["60"]}
        rows.append(blank)
        order.append(len(rows) - 1)
        note = f"Row {len(rows)} added."
    elif "delete" in data:
        index = _index(data.get("delete", ""), len(rows))
        if index is None:
            return None
        order.remove(index)
        note = _capital(f"{_row_name(rows[index], index + 1)} deleted")
    elif "move" in data:
        direction, _, number = data.get("move", "").partition("-")
        index = _index(number, len(rows))
        other = None if index is None else index + (-1 if direction == "up" else 1 if direction == "down" else 0)
        if index is None or other is None or other == index or not 0 <= other < len(rows):
            return None
        order[index], order[other] = order[other], order[index]
        note = _capital(f"{_row_name(rows[index], index + 1)} moved {direction} to row {other + 1}.")
    else:
        return None
    renumber = {old + 1: new + 1 for new, old in enumerate(order)}
    released = []
    edited = data.copy()
    for key in [key for key in edited if key.startswith(f"{prefix}-") and key[len(prefix) + 1 :][:1].isdigit()]:
        del edited[key]
    for new, old in enumerate(order):
        row = dict(rows[old])
        kept = []
        for part in filter(None, (p.strip() for p in (row["depends_on"] or [""])[0].split(","))):
            match = DEPENDENCY_RE.match(part)
            if match is None:
                kept.append(part)  # not a row number: the form says so when the rows are checked
            elif int(match.group(1)) in renumber:
                lag = f"+{match.group(2)}" if match.group(2) else ""
                kept.append(f"{renumber[int(match.group(1))]}{lag}")
            else:
                released.append(_row_name(row, new + 1))
        row["depends_on"] = [", ".join(kept)]
        for name, values in row.items():
            edited.setlist(f"{prefix}-{new}-{name}", values)
    for button in ("add", "delete", "move", "preview", "save"):
        edited.pop(button, None)  # the edit is done: the rows come back as plain data
    edited[f"{prefix}-TOTAL_FORMS"] = str(len(order))
    edited[f"{prefix}-INITIAL_FORMS"] = "0"
    if "delete" in data:
        note += (
            f"; {', '.join(released)} no longer wait{'s' if len(released) == 1 else ''} for it." if released else "."
        )
    return edited, f"{note} Save the template to keep the change."


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _index(value: str, count: int) -> int | None:
    """A row's index (0-based) from a button's value, or None when it names no row."""
    try:
        index = int(value)
    except ValueError:
        return None
    return index if 0 <= index < count else None


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
    # What the usage app does when a service passes the data cap in a cycle (usage/caps.py).
    data_cap_action = forms.ChoiceField(choices=DataCapAction.choices, required=False, label="At the data cap")
    data_overage_block_gb = WholeNumberField(
        minimum=1, maximum=1_000_000, required=False, label="Overage block (GB)", help_text="Overage only."
    )
    data_overage_block_amount = AmountField(
        required=False, label="Price per overage block", help_text="Overage only, above 0."
    )
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
            "data_cap_action": source.data_cap_action,
            "data_overage_block_gb": source.data_overage_block_gb,
            "data_overage_block_amount": source.data_overage_block_amount,
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

    def data_cap_fields(self) -> list[forms.BoundField]:
        return [self["data_cap_action"], self["data_overage_block_gb"], self["data_overage_block_amount"]]

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
        if data.get("data_cap_action"):  # else the source's rule is copied
            values |= {
                "data_cap_action": data["data_cap_action"],
                "data_overage_block_gb": data.get("data_overage_block_gb"),
                "data_overage_block_amount": data.get("data_overage_block_amount"),
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
