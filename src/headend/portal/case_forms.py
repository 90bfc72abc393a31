"""The portal's case forms: a new case on one of the customer's services, and a reply."""

from typing import cast

from django import forms

from headend.inventory.models import Service
from headend.support.models import Case

# What a customer may say a case is about (an outage's parent case is staff's).
CUSTOMER_TYPES = [(value, label) for value, label in Case.Type.choices if value != Case.Type.OUTAGE]


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Up to a few files; each is checked by the use case (core/user_files.py)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else [data] if data else []
        if len(files) > 5:
            raise forms.ValidationError("Attach at most 5 files.")
        return [super(MultipleFileField, self).clean(file, initial) for file in files]


class CaseForm(forms.Form):
    service = forms.ChoiceField(label="Which service", required=False)
    type = forms.ChoiceField(label="What is it about", choices=CUSTOMER_TYPES)
    subject = forms.CharField(label="In a few words", max_length=200)
    description = forms.CharField(label="Tell us more", widget=forms.Textarea(attrs={"rows": 6}), max_length=20_000)
    attachments = MultipleFileField(label="Screenshots or documents (optional)", required=False)

    def __init__(self, *args, services: list[Service], **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["service"]).choices = [("", "Not about one service")] + [
            (str(service.pk), f"{service.product_version.product.name}, {service.location.line1}")
            for service in services
        ]


class ReplyForm(forms.Form):
    body = forms.CharField(label="Your reply", widget=forms.Textarea(attrs={"rows": 5}), max_length=20_000)
    attachments = MultipleFileField(label="Attach files (optional)", required=False)
