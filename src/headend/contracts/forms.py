from django import forms

from headend.contracts.presenting import MESSAGE_MAX
from headend.contracts.services import NAME_MAX, REASON_MAX


class AcceptForm(forms.Form):
    decision = forms.CharField(widget=forms.HiddenInput, initial="accept")
    signer_name = forms.CharField(
        label="Your full name",
        max_length=NAME_MAX,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
        error_messages={"required": "Type your full name."},
    )
    consent = forms.BooleanField(error_messages={"required": "Tick the box to accept the quote and the terms."})

    def __init__(self, *args, consent_label: str, **kwargs):
        kwargs.setdefault("auto_id", "accept_%s")
        super().__init__(*args, **kwargs)
        self.fields["consent"].label = consent_label


class DeclineForm(forms.Form):
    decision = forms.CharField(widget=forms.HiddenInput, initial="decline")
    signer_name = forms.CharField(
        label="Your full name",
        max_length=NAME_MAX,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
        error_messages={"required": "Type your full name."},
    )
    reason = forms.CharField(
        label="Why do you decline?",
        max_length=REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Tell us why you decline the quote."},
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "decline_%s")
        super().__init__(*args, **kwargs)


class PresentForm(forms.Form):
    """Who receives the quote (the account's contacts with an email address) and a message."""

    recipients = forms.MultipleChoiceField(
        label="Send to",
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose who receives the quote: at least one contact with an email address."},
    )
    message = forms.CharField(
        label="Message",
        required=False,
        max_length=MESSAGE_MAX,
        widget=forms.Textarea(attrs={"rows": 4, "placeholder": "A note to go with the quote (optional)"}),
    )

    def __init__(self, *args, recipients: list, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["recipients"]
        assert isinstance(field, forms.MultipleChoiceField)
        field.choices = [(r.key, f"{r.name} · {r.role} · {r.email}") for r in recipients]
