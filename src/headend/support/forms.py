"""Staff forms for cases (new case, note or reply, status, assignment, priority and queue, link),
SLA policies and queues. Choices are limited to what the case's account has: another account's
service, location or contact is a field error, not a 500."""

from typing import Any, cast

from django import forms
from django.contrib.auth import get_user_model

from headend.core.forms import WholeNumberField
from headend.crm.models import Account, Contact, Location
from headend.inventory.models import Service

from .models import Case, CaseNote, CustomerType, Priority, Queue, SlaPolicy

# What staff open by hand: an outage's parent case is opened by the outage itself.
STAFF_TYPES = [(value, label) for value, label in Case.Type.choices if value != Case.Type.OUTAGE]
STAFF_CHANNELS = [(value, label) for value, label in Case.Channel.choices if value != Case.Channel.MONITORING]
MAX_FILES = 5


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Up to MAX_FILES files; what each may be is the use case's to check (core/user_files.py)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        files = data if isinstance(data, list | tuple) else [data] if data else []
        if len(files) > MAX_FILES:
            raise forms.ValidationError(f"Attach at most {MAX_FILES} files.")
        return [super(MultipleFileField, self).clean(file, initial) for file in files]


class WorkerChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return obj.get_full_name() or obj.username


def _workers(form: forms.Form, workers: list[Any]) -> None:
    """The assignee field offers the people who work cases (support/selectors.case_workers)."""
    field = cast(forms.ModelChoiceField, form.fields["assignee"])
    field.queryset = (
        get_user_model()
        .objects.filter(pk__in=[worker.pk for worker in workers])
        .order_by("first_name", "last_name", "username")
    )


def _service_label(service: Service) -> str:
    return f"{service.number} {service.product_version.product.name}, {service.location.line1} ({service.status})"


class CaseForm(forms.Form):
    """A new case on an account: its service, location and contact are the account's."""

    type = forms.ChoiceField(choices=STAFF_TYPES, label="About")
    priority = forms.ChoiceField(choices=Priority.choices, initial=Priority.P3)
    channel = forms.ChoiceField(choices=STAFF_CHANNELS, initial=Case.Channel.PHONE, label="Came in by")
    subject = forms.CharField(max_length=200)
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 5}), max_length=20_000)
    service = forms.ModelChoiceField(queryset=Service.objects.none(), required=False, empty_label="Not one service")
    location = forms.ModelChoiceField(
        queryset=Location.objects.none(), required=False, empty_label="The service's (or none)"
    )
    contact = forms.ModelChoiceField(queryset=Contact.objects.none(), required=False, empty_label="Nobody named")
    queue = forms.ModelChoiceField(queryset=Queue.objects.all(), required=False, empty_label="The default queue")
    assignee = WorkerChoiceField(queryset=get_user_model().objects.none(), required=False, empty_label="Nobody yet")

    def __init__(self, *args: Any, account: Account, workers: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        service = cast(forms.ModelChoiceField, self.fields["service"])
        service.queryset = Service.objects.filter(account=account).select_related(
            "product_version__product", "location"
        )
        service.label_from_instance = _service_label  # type: ignore[assignment]
        location = cast(forms.ModelChoiceField, self.fields["location"])
        location.queryset = Location.objects.filter(account=account)
        location.label_from_instance = lambda obj: obj.one_line  # type: ignore[method-assign]
        cast(forms.ModelChoiceField, self.fields["contact"]).queryset = Contact.objects.filter(account=account)
        _workers(self, workers)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        service, location = data.get("service"), data.get("location")
        if service is not None and location is not None and service.location_id != location.pk:
            self.add_error("location", "The service is at another location: leave this empty to use the service's.")
        return data


class NoteForm(forms.Form):
    kind = forms.ChoiceField(
        choices=[(CaseNote.Kind.INTERNAL, "Internal note"), (CaseNote.Kind.REPLY, "Reply to the customer")],
        widget=forms.RadioSelect,
        initial=CaseNote.Kind.INTERNAL,
    )
    body = forms.CharField(label="Text", widget=forms.Textarea(attrs={"rows": 4}), max_length=20_000)
    attachments = MultipleFileField(label="Files (optional)", required=False)


class StatusForm(forms.Form):
    to = forms.ChoiceField(label="Move to")
    resolution = forms.CharField(
        label="Resolution (what was done)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=20_000,
        help_text="Needed to resolve the case.",
    )

    def __init__(self, *args: Any, case: Case, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        allowed = Case.TRANSITIONS.get(case.status, set())
        cast(forms.ChoiceField, self.fields["to"]).choices = [
            (value, label) for value, label in Case.Status.choices if value in allowed
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("to") == Case.Status.RESOLVED and not (data.get("resolution") or "").strip():
            self.add_error("resolution", "Say how the case was resolved.")
        return data


class AssignForm(forms.Form):
    assignee = WorkerChoiceField(queryset=get_user_model().objects.none(), required=False, empty_label="Nobody")

    def __init__(self, *args: Any, workers: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _workers(self, workers)


class UpdateForm(forms.Form):
    """The case's priority (new SLA targets from when it opened), queue and type."""

    priority = forms.ChoiceField(choices=Priority.choices)
    queue = forms.ModelChoiceField(queryset=Queue.objects.all(), required=False, empty_label="No queue")
    type = forms.ChoiceField(choices=Case.Type.choices, label="About")


class LinkForm(forms.Form):
    parent = forms.CharField(
        label="Parent case", max_length=20, required=False, help_text="Its reference, as CS-000042; empty unlinks."
    )


class SlaPolicyForm(forms.Form):
    customer_type = forms.ChoiceField(choices=CustomerType.choices, label="Customers")
    priority = forms.ChoiceField(choices=Priority.choices)
    response_minutes = WholeNumberField(minimum=1, maximum=527_040, label="Response within (minutes)")
    resolution_minutes = WholeNumberField(minimum=1, maximum=527_040, label="Resolution within (minutes)")
    warn_percent = WholeNumberField(minimum=1, maximum=100, initial=75, label="Warn once this % is used")
    round_the_clock = forms.BooleanField(
        required=False, label="Round the clock (else working hours of the business calendar)"
    )

    @staticmethod
    def initial_for(policy: SlaPolicy) -> dict[str, Any]:
        return {name: getattr(policy, name) for name in SlaPolicyForm.base_fields}


class QueueForm(forms.Form):
    name = forms.CharField(max_length=80)
    description = forms.CharField(max_length=200, required=False)
    is_default = forms.BooleanField(required=False, label="The default queue (new cases with no queue land here)")
