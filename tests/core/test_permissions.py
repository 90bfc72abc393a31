"""Staff roles: the integration role (a program's account) and where work may be given."""

import pytest
from django.contrib.auth.models import Group

from headend.catalog.models import TemplateTask
from headend.core.permissions import WORK_ROLES, Role, has_role, is_staff_member
from headend.fulfillment.models import Task
from headend.quoting.models import ApprovalRule
from tests.factories import make_user


@pytest.mark.django_db
def test_the_integration_role_exists_as_a_group_after_migrating():
    assert set(Role.values) <= set(Group.objects.values_list("name", flat=True))
    assert Group.objects.filter(name="integration").exists()


@pytest.mark.django_db
def test_an_integration_account_is_staff_for_the_api_and_holds_no_other_role():
    user = make_user("integration")

    assert is_staff_member(user)
    assert has_role(user, Role.INTEGRATION)
    assert not has_role(user, Role.SALES, Role.PROVISIONING, Role.SUPPORT)


def test_work_is_never_given_to_the_integration_role():
    assert Role.INTEGRATION not in WORK_ROLES
    for field in (TemplateTask._meta.get_field("role"), Task._meta.get_field("role")):
        assert "integration" not in dict(field.choices)
    assert "integration" not in dict(ApprovalRule._meta.get_field("approver_role").choices)
    assert [value for value, _ in TemplateTask._meta.get_field("role").choices] == [r.value for r in WORK_ROLES]
