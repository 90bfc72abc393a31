from django import forms

from headend.catalog.models import ProductVersion
from headend.core.forms import WholeNumberField

TECHNOLOGY_CHOICES = [("", "Any technology"), *[(v, label) for v, label in ProductVersion.Technology.choices if v]]


class PoolForm(forms.Form):
    name = forms.CharField(max_length=80, help_text="What staff will recognise: 'Eastport fiber CGNAT'.")
    # Django's form metaclass moves declared fields off the class, so this does not shadow
    # Form.prefix (the HTML name prefix); the field keeps the name the use case's errors use.
    prefix = forms.CharField(  # type: ignore[assignment]
        max_length=49,
        help_text="In CIDR notation, with no host bits: 100.64.0.0/22 or 2001:db8:100::/40.",
        widget=forms.TextInput(attrs={"placeholder": "100.64.0.0/22", "spellcheck": "false"}),
    )
    allocation_length = WholeNumberField(
        label="Allocation size (prefix length)",
        minimum=1,
        maximum=128,
        initial=32,
        help_text="32 = single IPv4 addresses; 29 = IPv4 blocks of eight; 56 or 64 = IPv6 prefixes delegated.",
    )
    region = forms.CharField(
        max_length=80, required=False, help_text="A city the pool serves; blank serves every region."
    )
    technology = forms.ChoiceField(choices=TECHNOLOGY_CHOICES, required=False)
    gateway = forms.CharField(
        max_length=39, required=False, help_text="An address in the prefix never handed out (optional)."
    )
    quarantine_days = WholeNumberField(
        minimum=0, maximum=3650, initial=30, help_text="Days a released address rests before reuse."
    )
