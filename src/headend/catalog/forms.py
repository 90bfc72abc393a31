import re

from django import forms

from headend.catalog import code_actions
from headend.catalog.models import Skill, TemplateTask
from headend.catalog.services import MAX_TASK_MINUTES, TaskSpec
from headend.core.forms import WholeNumberField
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
