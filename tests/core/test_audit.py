"""The audit trail: staff role changes, the user the worker acts for, and the admins' audit pages."""

import pytest
from django.contrib.auth.models import Group, Permission, User

from headend.core import audit
from headend.quoting import services as quoting_services
from headend.quoting.models import QuoteLine
from tests.factories import make_quote, make_user

pytestmark = pytest.mark.django_db


def _admin_form(user: User, **changes) -> dict:
    """The admin's change form for `user` as it stands, with `changes`."""
    data = {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "is_active": "on",
        "date_joined_0": user.date_joined.strftime("%Y-%m-%d"),
        "date_joined_1": user.date_joined.strftime("%H:%M:%S"),
        "groups": [str(pk) for pk in user.groups.values_list("pk", flat=True)],
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def test_adding_a_user_to_sales_manager_in_the_admin_records_who_did_it(client):
    admin = make_user(username="root", is_staff=True, is_superuser=True)
    rep = make_user("sales", username="rep")
    manager_role = Group.objects.get_or_create(name="sales_manager")[0]
    client.force_login(admin)

    response = client.post(
        f"/admin/auth/user/{rep.pk}/change/",
        _admin_form(rep, groups=[str(pk) for pk in rep.groups.values_list("pk", flat=True)] + [str(manager_role.pk)]),
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    last = User.history.filter(id=rep.pk).latest()
    assert last.history_user == admin
    assert sorted(last.groups.values_list("group__name", flat=True)) == ["sales", "sales_manager"]


def test_a_role_given_from_the_group_side_is_recorded_on_the_user():
    admin = make_user(username="root", is_superuser=True)
    rep = make_user(username="rep")
    manager_role = Group.objects.get_or_create(name="sales_manager")[0]

    with audit.acting_for(admin):
        manager_role.user_set.add(rep)
        manager_role.user_set.clear()

    added, cleared = User.history.filter(id=rep.pk).order_by("history_id")[1:]
    assert (added.history_user, list(added.groups.values_list("group__name", flat=True))) == (admin, ["sales_manager"])
    assert (cleared.history_user, cleared.groups.count()) == (admin, 0)


def test_making_a_user_superuser_is_recorded_with_the_flag_and_who():
    admin = make_user(username="root", is_superuser=True)
    rep = make_user(username="rep")

    with audit.acting_for(admin):
        rep.is_staff = rep.is_superuser = True
        rep.save()

    last = User.history.filter(id=rep.pk).latest()
    assert (last.is_staff, last.is_superuser, last.history_user) == (True, True, admin)
    assert [change.field for change in last.diff_against(last.prev_record).changes] == ["is_staff", "is_superuser"]


def test_a_login_is_no_change_to_audit(client):
    rep = make_user("sales", username="rep")
    before = User.history.filter(id=rep.pk).count()

    response = client.post("/login/", {"username": "rep", "password": "pw-for-tests-1"})

    assert response.status_code == 302
    assert User.objects.get(pk=rep.pk).last_login is not None
    assert User.history.filter(id=rep.pk).count() == before
    assert not hasattr(User.history.model, "password")


def test_outside_a_request_and_any_job_a_change_names_nobody():
    quote = make_quote()
    line = quote.lines.get()

    quoting_services.quote_line_discount(line=line, percent="5")

    assert line.history.latest().history_user is None


def _discounted_line() -> tuple[QuoteLine, User]:
    seller = make_user("sales", username="seller")
    line = make_quote().lines.get()
    with audit.acting_for(seller):
        quoting_services.quote_line_discount(line=line, percent="10", discounted_by=seller)
    return line, seller


def test_an_admin_sees_a_lines_audit_page_with_who_changed_what(client):
    line, seller = _discounted_line()
    client.force_login(make_user(username="root", is_staff=True, is_superuser=True))

    response = client.get(f"/admin/quoting/quoteline/{line.pk}/history/")

    assert response.status_code == 200
    page = " ".join(response.content.decode().split())
    assert f'<a href="/admin/auth/user/{seller.pk}/change/">seller</a>' in page
    assert "<strong>Discount percent:</strong> 0.00 &nbsp;&rarr;&nbsp;&nbsp;10.00" in page
    assert "<strong>Mrc amount:</strong> 65.00 &nbsp;&rarr;&nbsp;&nbsp;58.50" in page


@pytest.mark.parametrize("is_staff", [True, False])
def test_staff_who_are_not_admins_are_refused_the_audit_page(client, is_staff):
    line, _ = _discounted_line()
    manager = make_user("sales_manager", username="manager", is_staff=is_staff)
    # Even allowed to view quote lines in the admin: the audit page is the admins'.
    manager.user_permissions.add(Permission.objects.get(codename="view_quoteline"))
    client.force_login(manager)

    response = client.get(f"/admin/quoting/quoteline/{line.pk}/history/")

    if is_staff:
        assert response.status_code == 403
    else:
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/")
