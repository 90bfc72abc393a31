"""A bank's file of payments: recorded in one go with the same rules as one at a time, or not at
all when a row is wrong (the row and the field named)."""

import datetime as dt
from decimal import Decimal

import pytest

from headend.billing.models import JournalEntry
from headend.core.errors import Forbidden, ValidationError
from headend.payments import imports
from headend.payments.models import Allocation, Payment
from tests.factories import make_billing_account, make_invoice, make_user

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def clerk():
    return make_user("billing")


def csv_of(*rows: str) -> str:
    return "billing_account,amount,reference,received_on,means,invoice\n" + "\n".join(rows) + "\n"


def test_a_file_pays_named_then_oldest_invoices_and_keeps_the_rest_as_credit(clerk):
    ada, bo = make_billing_account(), make_billing_account()
    old = make_invoice(ada, "60.00", bill_date=dt.date(2026, 2, 1))
    new = make_invoice(ada, "50.00", bill_date=dt.date(2026, 2, 2))
    bos = make_invoice(bo, "65.00", bill_date=dt.date(2026, 2, 1))
    result = imports.payment_import(
        text=csv_of(
            f"{ada.number},50.00,T1,2026-03-01,bank_transfer,{new.number}",
            f"{ada.number},70.00,T2,2026-03-01,,",
            f"{bo.pk},65.00,1001,,cheque,",
        ),
        imported_by=clerk,
    )
    assert result == imports.Imported(
        payments=3, amount=D("185.00"), allocated=D("175.00"), credit=D("10.00"), invoices_settled=3
    )
    for invoice in (old, new, bos):
        invoice.refresh_from_db()
        assert (invoice.status, invoice.amount_due) == ("settled", D("0.00"))
    assert sorted(Payment.objects.values_list("unapplied_amount", flat=True)) == [D("0.00"), D("0.00"), D("10.00")]
    assert Allocation.objects.count() == 3
    assert JournalEntry.objects.filter(kind="payment").count() == 3
    assert Payment.history.count() == 3


@pytest.mark.parametrize(
    ("row", "field"),
    [
        ("{ba},-5.00,T,,,", "amount"),
        ("{ba},abc,T,,,", "amount"),
        ("BA-999999,5.00,T,,,", "billing_account"),
        ("{ba},5.00,,,cheque,", "reference"),
        ("{ba},5.00,T,2099-01-01,,", "received_on"),
        ("{ba},5.00,T,,card,", "means"),
        ("{ba},5.00,T,,,INV-9999999", "invoice"),
    ],
)
def test_one_bad_row_refuses_the_file_naming_row_and_field(clerk, row, field):
    ada = make_billing_account()
    make_invoice(ada, "60.00")
    with pytest.raises(ValidationError) as refused:
        imports.payment_import(text=csv_of(f"{ada.number},10.00,OK,,,", row.format(ba=ada.number)), imported_by=clerk)
    assert refused.value.field == field
    assert refused.value.message.startswith("Row 3: ")
    assert Payment.objects.count() == 0


def test_only_billing_staff_import_payments():
    with pytest.raises(Forbidden):
        imports.payment_import(text=csv_of("BA-000001,1.00,T,,,"), imported_by=make_user("support"))


def test_the_same_file_twice_is_refused_and_records_nothing_again(clerk):
    ada = make_billing_account()
    make_invoice(ada, "60.00")
    text = csv_of(f"{ada.number},60.00,T1,,,")
    imports.payment_import(text=text, imported_by=clerk)

    with pytest.raises(ValidationError) as refused:
        imports.payment_import(text=text, imported_by=clerk)

    assert (refused.value.field, refused.value.code) == ("file", "already_imported")
    assert Payment.objects.count() == 1
