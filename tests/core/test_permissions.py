"""Staff roles: the integration role (a program's account) and where work may be given."""

import pytest
from django.contrib.auth.models import Group
from django.template import Context, Template

from headend.catalog.models import TemplateTask
from headend.core.errors import Forbidden
from headend.core.permissions import PERMISSIONS, WORK_ROLES, Can, Role, has_role, is_staff_member, may, require
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


@pytest.mark.django_db
def test_the_table_answers_by_role_and_admin_may_run_everything():
    sales, billing, admin = make_user("sales"), make_user("billing"), make_user("admin")

    assert may(sales, "quote.edit")
    assert not may(billing, "quote.edit")
    assert may(billing, "service.action")  # the service board too, as the page and the API
    assert all(may(admin, use_case) for use_case in PERMISSIONS)
    assert not may(make_user(), "token.manage")  # no role, no staff use case


@pytest.mark.django_db
def test_a_rule_that_names_the_records_role_lets_that_role_run_it():
    support = make_user("support")

    assert may(support, "task.work", named="support")
    assert not may(support, "task.work", named="sales_manager")
    assert may(make_user("provisioning"), "task.work", named="sales_manager")
    assert not may(make_user("sales_manager"), "quote.approve")  # which approval: it says


@pytest.mark.django_db
def test_require_refuses_with_the_roles_it_needs():
    with pytest.raises(Forbidden) as refused:
        require(make_user("support"), "order.place")

    assert refused.value.code == "role_required"
    assert refused.value.message == "This needs one of these roles: Sales, Sales manager."
    with pytest.raises(KeyError):
        may(make_user("admin"), "quote.eddit")  # a typo is a bug, not a refusal


@pytest.mark.django_db
def test_templates_ask_the_table():
    user = make_user("support")
    page = Template(
        "{% if can.service.action %}act{% endif %}{% if can.quote.edit %}sell{% endif %}"
        '{% may "task.work" named="support" as work %}{% if work %} work{% endif %}'
    )

    assert page.render(Context({"can": Can(user), "user": user})) == "act work"
