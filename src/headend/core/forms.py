"""What every staff form shares: domain errors shown on the field they name."""

from django import forms

from headend.core.errors import DomainError


def add_domain_error(form: forms.BaseForm, exc: DomainError) -> None:
    """Put a use case's error on the field it names, or above the form when no field matches."""
    field = exc.field if exc.field in form.fields else None
    form.add_error(field, exc.message)
