"""Reads compiled once and run with new values (core/prepared.py): the rows are the queryset's,
a statement whose parameters are not the caller's values is refused, and what the SQL depends on
besides its parameters is the key's."""

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.auth.models import User

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


def test_a_statement_that_can_match_nothing_is_not_run(django_assert_num_queries):
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
