"""Reads compiled once and run with new values (core/prepared.py): the rows are the queryset's,
a statement whose parameters are not the caller's values is refused, and what the SQL depends on
besides its parameters is the key's."""

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.auth.models import User

from headend.core import prepared as prepared_module
from headend.core.prepared import ParametersMismatch, Prepared
from headend.crm.models import Location
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
        rows = prepared.page("users", everyone, [], offset=offset, limit=limit)
        assert rows == [(user.pk,) for user in users[offset : offset + limit]]
    assert len(compiled) == 1
    with pytest.raises(ValueError, match="sliced"):
        prepared.page("sliced", lambda: User.objects.values_list("pk")[:3], [], offset=0, limit=3)


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
