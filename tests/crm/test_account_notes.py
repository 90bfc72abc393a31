import datetime as dt

import pytest
from django.urls import reverse

from headend.core import clock
from headend.core.errors import Forbidden, ValidationError
from headend.crm.models import AccountNote
from headend.crm.notes import note_add, note_list
from tests.conftest import outbox_names
from tests.factories import make_account, make_user

pytestmark = pytest.mark.django_db


def test_note_add_keeps_the_note_its_author_and_its_history():
    account, sales = make_account(), make_user("sales")

    note = note_add(account=account, body="  Called about the second site.\x00 ", added_by=sales, pinned=True)

    note.refresh_from_db()
    assert (note.body, note.author, note.pinned, note.created_at) == (
        "Called about the second site.",
        sales,
        True,
        clock.now(),
    )
    assert note.history.count() == 1
    assert outbox_names(subject=note) == ["account_note.added"]


def test_note_add_is_refused_to_a_role_that_may_not_edit_accounts():
    with pytest.raises(Forbidden):
        note_add(account=make_account(), body="Not mine to write", added_by=make_user("provisioning"))

    assert AccountNote.objects.count() == 0


@pytest.mark.parametrize("body", ["", "   ", "\x00"])
def test_note_add_refuses_an_empty_note_on_its_body(body):
    with pytest.raises(ValidationError) as error:
        note_add(account=make_account(), body=body, added_by=make_user("sales"))

    assert error.value.field == "body"
    assert AccountNote.objects.count() == 0


def test_note_list_shows_pinned_notes_first_then_the_newest():
    account, sales = make_account(), make_user("sales")
    pinned = note_add(account=account, body="Gate code 4411", added_by=sales, pinned=True)
    with clock.frozen(clock.now() + dt.timedelta(hours=1)):
        older = note_add(account=account, body="Asked for a callback", added_by=sales)
    with clock.frozen(clock.now() + dt.timedelta(hours=2)):
        newer = note_add(account=account, body="Called back", added_by=sales)

    assert note_list(account_id=account.pk) == [pinned, newer, older]


def test_note_page_without_javascript_adds_and_comes_back_to_the_account(client):
    account = make_account()
    client.force_login(make_user("support"))

    response = client.post(reverse("crm:account_note_add", args=[account.pk]), {"body": "Prefers email"})

    assert response.status_code == 302
    assert response.url == account.get_absolute_url()
    assert list(account.notes.values_list("body", flat=True)) == ["Prefers email"]
    assert "Prefers email" in client.get(account.get_absolute_url()).content.decode()


def test_note_page_shows_an_empty_body_as_a_field_error_and_writes_nothing(client):
    account = make_account()
    client.force_login(make_user("sales"))

    response = client.post(reverse("crm:account_note_add", args=[account.pk]), {"body": "  "})

    assert response.status_code == 400
    assert response.context["note_form"].errors == {"body": ["This field is required."]}
    assert AccountNote.objects.count() == 0


def test_note_page_with_htmx_answers_the_notes_box_alone(client):
    account = make_account()
    client.force_login(make_user("sales"))

    response = client.post(
        reverse("crm:account_note_add", args=[account.pk]),
        {"body": "Site survey booked", "pinned": "on"},
        HTTP_HX_REQUEST="true",
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert html.startswith('<section id="notes"')
    assert "Site survey booked" in html
    assert "Pinned" in html
    assert AccountNote.objects.get().pinned is True


def test_note_page_is_forbidden_to_provisioning_and_404_for_an_unknown_account(client):
    client.force_login(make_user("provisioning"))
    assert client.post(reverse("crm:account_note_add", args=[make_account().pk]), {"body": "x"}).status_code == 403

    client.force_login(make_user("sales"))
    assert client.post(reverse("crm:account_note_add", args=[987654]), {"body": "x"}).status_code == 404
    assert AccountNote.objects.count() == 0


def test_account_page_has_no_note_form_for_a_role_that_may_not_edit(client):
    account = make_account()
    client.force_login(make_user("provisioning"))

    html = client.get(account.get_absolute_url()).content.decode()

    assert 'data-testid="notes"' in html
    assert reverse("crm:account_note_add", args=[account.pk]) not in html
