from django import forms

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
