"""Reads compiled once and run with new values (core/prepared.py): the rows are the queryset's,
a statement whose parameters are not the caller's values is refused, and what the SQL depends on
besides its parameters is the key's."""

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.db.models import F, FloatField
from django.db.models.functions import Cast
from django.utils import timezone

from headend.core import prepared as prepared_module
from headend.core.prepared import ParametersMismatch, Prepared
from headend.crm.models import Account, AccountNote, Location
from tests.factories import make_account, make_location, make_user

pytestmark = pytest.mark.django_db


def _names(ids):
    return User.objects.filter(pk__in=ids).order_by("pk").values_list("pk", "username")


def test_the_rows_are_the_querysets_for_each_new_value_and_compiled_once(django_assert_num_queries):
    ada, bob = make_user(username="ada"), make_user(username="bob")
    prepared, compiled = Prepared(), []

    def build(ids):
        compiled.append(ids)
        return _names(ids)

    assert prepared.rows(("names", 1), lambda: build([ada.pk]), [ada.pk]) == [(ada.pk, "ada")]
    with django_assert_num_queries(1):
        assert prepared.rows(("names", 1), lambda: build([bob.pk]), [bob.pk]) == [(bob.pk, "bob")]
    assert prepared.rows(("names", 2), lambda: build([ada.pk, bob.pk]), [ada.pk, bob.pk]) == list(
        _names([ada.pk, bob.pk])
    )
    assert compiled == [[ada.pk], [ada.pk, bob.pk]]  # once per key


def test_a_statement_whose_parameters_are_not_the_callers_values_is_refused():
    ada = make_user(username="ada")
    prepared = Prepared()
    named = User.objects.filter(pk=ada.pk, username="ada").values_list("pk")  # a second parameter: "ada"

    with pytest.raises(ParametersMismatch):
        prepared.rows("named", lambda: named, [ada.pk])
    with pytest.raises(ParametersMismatch):
        prepared.rows("by name", lambda: User.objects.filter(username="ada").values_list("pk"), ["bob"])


def test_a_statement_that_can_match_nothing_is_not_run_nor_kept(django_assert_num_queries):
    prepared = Prepared()
    with django_assert_num_queries(0):
        assert prepared.rows(("names", 0), lambda: _names([]), []) == []
        assert prepared.rows(("names", 0), lambda: _names([]), []) == []


def test_converted_rows_are_what_the_queryset_gives():
    site = make_location(make_account(), latitude="44.715100", longitude="-67.461400")
    columns = Location.objects.values_list("pk", "latitude", "created_at", "account__name")
    raw = Prepared().rows("site", lambda: columns.filter(pk=site.pk), [site.pk])

    converted = Prepared.converted(columns, raw)

    assert converted == list(columns.filter(pk=site.pk))
    assert isinstance(converted[0][1], Decimal)
    assert isinstance(converted[0][2], dt.datetime)


def test_pages_of_any_offset_and_limit_are_one_statement():
    users = [make_user(username=f"u{n}") for n in range(5)]
    prepared, compiled = Prepared(), []

    def everyone():
        compiled.append(1)
        return User.objects.order_by("pk").values_list("pk")

    for offset, limit in ((0, 2), (2, 2), (4, 10), (1, 3), (50, 1)):
        rows = prepared.read_page("users", everyone, [], offset=offset, limit=limit).rows
        assert rows == [(user.pk,) for user in users[offset : offset + limit]]
    assert len(compiled) == 1
    with pytest.raises(ValueError, match="sliced"):
        prepared.read_page("sliced", lambda: User.objects.values_list("pk")[:3], [], offset=0, limit=3)


def test_a_process_keeps_a_bounded_number_of_statements(monkeypatch):
    monkeypatch.setattr(prepared_module, "MAX_STATEMENTS", 2)
    ada = make_user(username="ada")
    prepared, compiled = Prepared(), []

    def build(key):
        compiled.append(key)
        return _names([ada.pk])

    for key in ("a", "b", "c", "a"):  # "a" was the least recently run when "c" came
        prepared.rows(key, lambda key=key: build(key), [ada.pk])
    assert compiled == ["a", "b", "c", "a"]


# A Read: the rows and what two reads are compared by (on SQLite one text the database renders)

ODD = 'Quote\'s "site" \\ 100%s %(x)s $1\nnext line, ünïcödé, 🛰, tab\t, NUL-free'


def _notes(account_id):
    return (
        AccountNote.objects.filter(account=account_id)
        .order_by("-pinned", "body", "pk")
        .values_list("pk", "body", "pinned", "created_at", "author", "author__username", "account__name")
    )


def _note_rows(account):
    AccountNote.objects.bulk_create(
        AccountNote(account=account, body=f"{n:02d} {ODD}", pinned=n % 3 == 0, created_at=timezone.now())
        for n in range(30)
    )
    return list(_notes(account.pk))


def test_a_read_gives_the_rows_python_gets_from_the_queryset(django_assert_num_queries):
    site = make_location(make_account(name=ODD), latitude="44.715100", longitude="-67.461400")
    Location.objects.filter(pk=site.pk).update(longitude=None)
    columns = Location.objects.values_list("pk", "latitude", "longitude", "created_at", "account__name", "line2")
    prepared = Prepared()

    with django_assert_num_queries(1):
        read = prepared.read("site", lambda: columns.filter(pk=site.pk), [site.pk])

    assert Prepared.converted(columns, read.rows) == list(columns.filter(pk=site.pk))
    account = make_account()
    expected = _note_rows(account)
    notes = prepared.read("notes", lambda: _notes(account.pk), [account.pk])
    assert Prepared.converted(_notes(account.pk), notes.rows) == expected  # in the queryset's order
    assert isinstance(notes.signature, str if connection.vendor == "sqlite" else tuple)


def test_a_pages_read_keeps_the_querysets_order_and_slice():
    account = make_account()
    expected = _note_rows(account)
    prepared = Prepared()

    for offset, limit in ((0, 7), (7, 7), (25, 10), (40, 5)):
        read = prepared.read_page("notes", lambda: _notes(account.pk), [account.pk], offset=offset, limit=limit)
        assert Prepared.converted(_notes(account.pk), read.rows) == expected[offset : offset + limit]


def test_two_reads_have_one_signature_exactly_while_the_rows_are_unchanged():
    account = make_account()
    _note_rows(account)
    prepared = Prepared()

    def signature():
        return prepared.read("notes", lambda: _notes(account.pk), [account.pk]).signature

    first = signature()
    assert signature() == first
    note = AccountNote.objects.filter(account=account).order_by("pk").last()
    changes = (
        lambda: AccountNote.objects.filter(pk=note.pk).update(body=note.body + " "),
        lambda: AccountNote.objects.filter(pk=note.pk).update(pinned=not note.pinned),
        lambda: AccountNote.objects.filter(pk=note.pk).update(
            created_at=note.created_at + dt.timedelta(microseconds=1)
        ),
        lambda: Account.objects.filter(pk=account.pk).update(name="Renamed"),
        lambda: AccountNote.objects.filter(pk=note.pk).delete(),
    )
    for change in changes:
        before = signature()
        change()
        assert signature() != before


def test_a_read_of_a_float_or_binary_column_is_its_rows():
    site = make_location(make_account(), latitude="0.1", longitude="-67.461400")
    floating = Location.objects.annotate(at=Cast("latitude", FloatField())).values_list("pk", "at")

    read = Prepared().read("floats", lambda: floating.filter(pk=site.pk), [site.pk])

    assert read.signature == ((site.pk, 0.1),)  # the rows, as `rows` gives them
    assert read.rows == [(site.pk, 0.1)]


def test_a_read_that_can_match_nothing_runs_nothing(django_assert_num_queries):
    with django_assert_num_queries(0):
        read = Prepared().read(("names", 0), lambda: _names([]), [])
    assert read.rows == []


def test_columns_named_alike_but_for_case_are_each_read():
    site = make_location(make_account(), city="Lubec", line1="7 Water St")
    named = Location.objects.annotate(Where=F("city"), where=F("line1")).values_list("pk", "Where", "where")

    read = Prepared().read("case", lambda: named.filter(pk=site.pk), [site.pk])

    assert read.rows == list(named.filter(pk=site.pk)) == [(site.pk, "LUBEC", "7 WATER ST")]
