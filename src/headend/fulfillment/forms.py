"""Forms of the technician's pages: completing a task, and the days My work shows."""

import datetime as dt
from typing import Any

from django import forms

from headend.core import clock, user_files
from headend.core.errors import DomainError
from headend.fulfillment.field_work import MAX_RANGE_DAYS, check_range
from headend.fulfillment.models import Task

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DATE_ERRORS = {"invalid": "Give a date as YYYY-MM-DD."}


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files from one input; each is checked by the use case (core/user_files.py)."""

    def __init__(self, **kwargs: Any):
        kinds = user_files.ATTACHMENT.types
        accept = ",".join([*kinds, *(extension for extensions in kinds.values() for extension in extensions)])
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": accept}))
        super().__init__(**kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        if isinstance(data, list | tuple):
            return [super(MultipleFileField, self).clean(item, initial) for item in data if item]
        return [super().clean(data, initial)] if data else []


class TaskCompleteForm(forms.Form):
    """Everything a person gives when a task is done: each checklist item ticked, notes, photos
    and documents, and (done before the customer's booked visit) why."""

    checklist = forms.MultipleChoiceField(
        required=False, widget=forms.CheckboxSelectMultiple, label="Checklist: tick each item done"
    )
    notes = forms.CharField(
        required=False,
        max_length=5000,
        label="Notes",
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "What was done, readings, serial numbers"}),
    )
    early_reason = forms.CharField(
        required=False,
        max_length=200,
        label="Done before the booked visit? Say why",
        widget=forms.TextInput(attrs={"placeholder": "Customer home early, asked us in"}),
    )
    attachments = MultipleFileField(required=False, label="Photos or documents")

    def __init__(self, *args: Any, task: Task, visit_ahead: bool = False, **kwargs: Any):
        """`visit_ahead`: the customer is booked for later than now (the reason is asked for then)."""
        super().__init__(*args, **kwargs)
        items = [item["item"] for item in task.checklist]
        self.fields["checklist"].choices = [(item, item) for item in items]  # type: ignore[attr-defined]
        if not items:
            del self.fields["checklist"]
        if not visit_ahead:
            del self.fields["early_reason"]

    def add_use_case_error(self, exc: DomainError) -> None:
        """The use case's refusal on the field it names (`checklist`, `attachments`...), else above."""
        self.add_error(exc.field if exc.field in self.fields else None, exc.message)


class MyWorkForm(forms.Form):
    """The days My work shows: from and to (inclusive), at most MAX_RANGE_DAYS; today and the
    next seven days when none are given."""

    PRESETS = (("today", "Today"), ("week", "This week"), ("two_weeks", "Next 2 weeks"))

    def __init__(self, data: Any = None, **kwargs: Any):
        data = data if data and ("from" in data or "to" in data) else None
        super().__init__(data, **kwargs)
        self.fields["from"] = forms.DateField(label="From", widget=DATE, error_messages=DATE_ERRORS)
        self.fields["to"] = forms.DateField(
            label="To", widget=DATE, error_messages=DATE_ERRORS, help_text=f"At most {MAX_RANGE_DAYS} days."
        )
        first, last = self.default_range()
        self.initial = {"from": first, "to": last}

    @staticmethod
    def default_range() -> tuple[dt.date, dt.date]:
        today = clock.today()
        return today, today + dt.timedelta(days=7)

    @staticmethod
    def presets() -> list[tuple[str, dt.date, dt.date]]:
        """(label, from, to) of the quick choices: today, this week (Monday to Sunday), the next two weeks."""
        today = clock.today()
        monday = today - dt.timedelta(days=today.weekday())
        return [
            ("Today", today, today),
            ("This week", monday, monday + dt.timedelta(days=6)),
            ("Next 2 weeks", today, today + dt.timedelta(days=13)),
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        first, last = data.get("from"), data.get("to")
        if first is not None and last is not None:
            try:
                check_range(first, last)
            except DomainError as exc:
                self.add_error(exc.field if exc.field in self.fields else None, exc.message)
        return data

    def range(self) -> tuple[dt.date, dt.date] | None:
        """The days to show: the ones asked for, the default when none were, None when they are wrong."""
        if not self.is_bound:
            return self.default_range()
        if not self.is_valid():
            return None
        return self.cleaned_data["from"], self.cleaned_data["to"]
