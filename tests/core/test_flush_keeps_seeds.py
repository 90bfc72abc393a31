"""`flush` (as every transactional test ends) leaves an installation staff can still use."""

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command

from headend.contracts.models import TermsVersion
from headend.core.permissions import Role


@pytest.mark.django_db(transaction=True)
def test_flush_puts_back_the_role_groups_and_the_standard_terms():
    call_command("flush", interactive=False, verbosity=0)

    assert sorted(Group.objects.values_list("name", flat=True)) == sorted(role.value for role in Role)
    assert list(TermsVersion.objects.values_list("label", flat=True)) == ["Standard terms v1"]


@pytest.mark.django_db
def test_terms_a_provider_published_are_left_alone_by_a_later_migrate():
    TermsVersion.objects.all().delete()
    TermsVersion.objects.create(label="Our terms 2026", effective_date="2026-01-01", body="...")

    call_command("migrate", verbosity=0)

    assert list(TermsVersion.objects.values_list("label", flat=True)) == ["Our terms 2026"]
