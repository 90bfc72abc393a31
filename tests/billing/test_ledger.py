import datetime as dt
import io
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from beancount import loader
from django.core.management import CommandError, call_command

from headend.billing import ledger
from headend.billing.models import BillingAccount, Invoice, InvoiceLine, JournalEntry, JournalLine
from headend.core import clock
from headend.core.errors import Conflict, ValidationError
from tests.factories import make_account

pytestmark = pytest.mark.django_db

D = Decimal
MARCH = dt.date(2026, 3, 1)  # a 31-day period: 1 March to 31 March
APRIL = dt.date(2026, 4, 1)
TAX = "Liabilities:TaxPayable:MaineSalesTaxME"
BEAN_CHECK = Path(sys.executable).with_name("bean-check")


def make_billing_account(currency: str = "USD") -> BillingAccount:
    return BillingAccount.objects.create(
        account=make_account(), name='Cobscook "Bay" Seafood', currency=currency, created_at=clock.now()
    )


def bits(first: int, end: int) -> int:
    """The bits of a period's days `first` to `end - 1`."""
    return sum(1 << index for index in range(first, end))


def recurring(amount: str, *, period_start=MARCH, period_end=APRIL, first=0, end=None, **extra) -> dict:
    end = (period_end - period_start).days if end is None else end
    return {
        "kind": "recurring",
        "amount": D(amount),
        "period_start": period_start,
        "period_end": period_end,
        "start_date": period_start + dt.timedelta(days=first),
        "end_date": period_start + dt.timedelta(days=end),
        "days_added": bits(first, end),
        "days": end - first,
        "period_days": (period_end - period_start).days,
        "revenue_account": "Income:Internet",
        **extra,
    }


def one_time(amount: str, account: str = "Income:Installation") -> dict:
    return {"kind": "one_time", "amount": D(amount), "revenue_account": account}


def tax(amount: str, jurisdiction: str = "Maine sales tax (ME)") -> dict:
    return {"kind": "tax", "amount": D(amount), "jurisdiction": jurisdiction, "tax_rate": D("5.5")}


def make_invoice(
    *lines: dict,
    bill_date: dt.date = MARCH,
    kind: str = "invoice",
    status: str = "finalised",
    number: str | None = None,
    billing_account: BillingAccount | None = None,
    total: str | None = None,
) -> Invoice:
    billing_account = billing_account or make_billing_account()
    subtotal = sum((line["amount"] for line in lines if line["kind"] != "tax"), D("0.00"))
    tax_amount = sum((line["amount"] for line in lines if line["kind"] == "tax"), D("0.00"))
    invoice = Invoice.objects.create(
        kind=kind,
        status=status,
        billing_account=billing_account,
        number=number,
        bill_date=bill_date,
        due_date=bill_date + dt.timedelta(days=15),
        currency=billing_account.currency,
        subtotal_amount=subtotal,
        tax_amount=tax_amount,
        total_amount=D(total) if total is not None else subtotal + tax_amount,
        created_at=clock.now(),
    )
    if number is None and status != "draft":
        invoice.number = f"INV-{invoice.pk:06d}"
        invoice.save(update_fields=["number"])
    for position, values in enumerate(lines, 1):
        InvoiceLine.objects.create(
            invoice=invoice, position=position, description=f"Line {position}", unit_amount=values["amount"], **values
        )
    return invoice


def postings(entry: JournalEntry) -> list[tuple[str, Decimal, Decimal]]:
    return sorted((line.account, line.debit, line.credit) for line in entry.lines.all())


def balances() -> dict[str, Decimal]:
    """Each account's balance over the whole journal (debit positive); zero balances left out."""
    found: dict[str, Decimal] = {}
    for line in JournalLine.objects.all():
        found[line.account] = found.get(line.account, D(0)) + line.debit - line.credit
    return {account: amount for account, amount in found.items() if amount}


def recognised(invoice: Invoice) -> list[Decimal]:
    return list(invoice.lines.order_by("position").values_list("recognised_amount", flat=True))


# Pure helpers ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("jurisdiction", "account"),
    [
        ("Maine sales tax (ME)", "Liabilities:TaxPayable:MaineSalesTaxME"),
        ("City tax (Saint-Jérôme, QC)", "Liabilities:TaxPayable:CityTaxSaintJeromeQC"),
        ("911 fee", "Liabilities:TaxPayable:911Fee"),
        ("((", "Liabilities:TaxPayable:Unknown"),
        ("", "Liabilities:TaxPayable"),
    ],
)
def test_tax_account_is_a_beancount_safe_name(jurisdiction, account):
    assert ledger.tax_account(jurisdiction) == account


@pytest.mark.parametrize(
    ("name", "account"),
    [("Income:Internet", "Income:Internet"), ("", "Income:Other"), ("internet service", "Income:InternetService")],
)
def test_revenue_account_stays_under_income(name, account):
    assert ledger.revenue_account(name) == account


@pytest.mark.parametrize(
    ("before", "earlier"), [(MARCH, 0), (dt.date(2026, 3, 11), 10), (APRIL, 31), (MARCH.replace(month=5), 31)]
)
def test_days_before_counts_the_line_days_before_a_date(before, earlier):
    line = recurring("31.00")

    found = ledger.days_before(
        before,
        period_start=line["period_start"],
        days_added=line["days_added"],
        days_removed=0,
        start_date=line["start_date"],
        end_date=line["end_date"],
    )

    assert found == (earlier, 31)


def test_days_before_counts_added_and_removed_days_alike():
    # Days 0-4 taken back, days 10-14 added: 10 days, 5 of them before the 8th.
    found = ledger.days_before(
        dt.date(2026, 3, 8),
        period_start=MARCH,
        days_added=bits(10, 15),
        days_removed=bits(0, 5),
        start_date=MARCH,
        end_date=dt.date(2026, 3, 15),
    )

    assert found == (5, 10)


@pytest.mark.parametrize(
    ("amount", "earlier", "total", "part"),
    [
        ("10.00", 1, 3, "3.33"),
        ("10.00", 2, 3, "6.67"),
        ("-10.00", 2, 3, "-6.67"),
        ("0.05", 1, 2, "0.03"),
        ("9.99", 3, 3, "9.99"),
    ],
)
def test_earned_rounds_half_up_to_the_cent(amount, earlier, total, part):
    assert ledger.earned(D(amount), earlier, total) == D(part)


def test_postings_refuse_an_unbalanced_entry():
    postings = ledger.Postings()
    postings.add("Assets:AccountsReceivable", D("10.00"))
    postings.add("Income:Other", D("-9.99"))

    with pytest.raises(ledger.UnbalancedEntry):
        postings.lines()


# Posting invoices -----------------------------------------------------------------------------


def test_post_invoice_defers_a_month_billed_in_advance():
    invoice = make_invoice(recurring("79.99"))

    entry = ledger.post_invoice(invoice)

    assert (entry.date, entry.kind, entry.currency, entry.source_key) == (
        MARCH,
        "invoice",
        "USD",
        f"invoice:{invoice.pk}",
    )
    assert postings(entry) == [
        ("Assets:AccountsReceivable", D("79.99"), D("0.00")),
        ("Liabilities:DeferredRevenue", D("0.00"), D("79.99")),
    ]
    assert recognised(invoice) == [D("0.00")]


def test_recognise_moves_the_month_to_income_as_its_days_pass():
    invoice = make_invoice(recurring("79.99"))
    ledger.post_invoice(invoice)

    halfway = ledger.recognise(dt.date(2026, 3, 16))  # 15 of 31 days: 79.99 x 15 / 31 = 38.7048
    assert halfway == 1
    assert recognised(invoice) == [D("38.70")]
    end = ledger.recognise(APRIL)

    assert end == 1
    assert recognised(invoice) == [D("79.99")]
    entry = JournalEntry.objects.get(source_key="recognition:2026-04-01:USD")
    assert (entry.date, entry.kind, entry.invoice) == (APRIL, "recognition", None)
    assert postings(entry) == [
        ("Income:Internet", D("0.00"), D("41.29")),
        ("Liabilities:DeferredRevenue", D("41.29"), D("0.00")),
    ]
    assert balances() == {"Assets:AccountsReceivable": D("79.99"), "Income:Internet": D("-79.99")}


def test_post_invoice_splits_a_prorated_line_at_the_bill_date():
    # Turned up 20 Feb in the period 15 Feb - 14 Mar (28 days): 23 days, 9 of them before 1 March.
    line = recurring("49.29", period_start=dt.date(2026, 2, 15), period_end=dt.date(2026, 3, 15), first=5)
    invoice = make_invoice(line)

    entry = ledger.post_invoice(invoice)

    # 49.29 x 9 / 23 = 19.2874 -> 19.29 earned; 30.00 deferred.
    assert postings(entry) == [
        ("Assets:AccountsReceivable", D("49.29"), D("0.00")),
        ("Income:Internet", D("0.00"), D("19.29")),
        ("Liabilities:DeferredRevenue", D("0.00"), D("30.00")),
    ]
    assert recognised(invoice) == [D("19.29")]


def test_post_invoice_owes_tax_to_its_jurisdiction_and_earns_one_time_charges_at_once():
    invoice = make_invoice(one_time("100.00"), recurring("62.00", revenue_account=""), tax("5.50"))

    entry = ledger.post_invoice(invoice)

    assert postings(entry) == [
        ("Assets:AccountsReceivable", D("167.50"), D("0.00")),
        ("Income:Installation", D("0.00"), D("100.00")),
        ("Liabilities:DeferredRevenue", D("0.00"), D("62.00")),
        (TAX, D("0.00"), D("5.50")),
    ]
    assert recognised(invoice) == [D("100.00"), D("0.00"), D("0.00")]


def test_post_invoice_nets_a_credit_line_against_income_without_negative_sides():
    # A downgrade: 31 days at 40.00 taken back (days of February already passed), 20.00 charged.
    credit = recurring("-40.00", period_start=dt.date(2026, 2, 1), period_end=MARCH, days_added=0)
    credit["days_removed"] = bits(0, 28)
    invoice = make_invoice(credit, recurring("20.00"))

    entry = ledger.post_invoice(invoice)

    assert postings(entry) == [
        ("Assets:AccountsReceivable", D("0.00"), D("20.00")),
        ("Income:Internet", D("40.00"), D("0.00")),
        ("Liabilities:DeferredRevenue", D("0.00"), D("20.00")),
    ]
    assert recognised(invoice) == [D("-40.00"), D("0.00")]


@pytest.mark.parametrize("sign", ["-", ""])
def test_post_invoice_flips_sides_for_a_credit_note(sign):
    # Credit notes lower receivables whether their amounts are written negative or positive.
    note = make_invoice(one_time(f"{sign}20.00", "Income:Internet"), tax(f"{sign}1.10"), kind="credit_note")

    entry = ledger.post_invoice(note)

    assert entry.kind == "credit_note"
    assert postings(entry) == [
        ("Assets:AccountsReceivable", D("0.00"), D("21.10")),
        ("Income:Internet", D("20.00"), D("0.00")),
        (TAX, D("1.10"), D("0.00")),
    ]


def test_recognise_takes_deferred_credit_note_revenue_back_out_of_income():
    note = make_invoice(recurring("-31.00"), kind="credit_note")
    ledger.post_invoice(note)

    moved = ledger.recognise(dt.date(2026, 3, 11))

    assert moved == 1
    assert recognised(note) == [D("-10.00")]
    assert balances() == {
        "Assets:AccountsReceivable": D("-31.00"),
        "Income:Internet": D("10.00"),
        "Liabilities:DeferredRevenue": D("21.00"),
    }


def test_post_invoice_twice_writes_once():
    invoice = make_invoice(recurring("79.99"), tax("4.40"))
    first = ledger.post_invoice(invoice)

    again = ledger.post_invoice(invoice)

    assert again == first
    assert JournalEntry.objects.count() == 1
    assert JournalLine.objects.count() == 3


def test_post_invoice_refuses_a_total_that_is_not_the_sum_of_its_lines_and_writes_nothing():
    invoice = make_invoice(one_time("100.00"), total="100.01")

    with pytest.raises(ledger.UnbalancedEntry):
        ledger.post_invoice(invoice)

    assert JournalEntry.objects.count() == 0
    assert recognised(invoice) == [D("0.00")]


# Recognition ----------------------------------------------------------------------------------


def test_recognise_twice_for_a_date_recognises_once():
    invoice = make_invoice(recurring("79.99"))
    ledger.post_invoice(invoice)
    ledger.recognise(dt.date(2026, 3, 16))

    again = ledger.recognise(dt.date(2026, 3, 16))

    assert again == 0
    assert JournalEntry.objects.filter(kind="recognition").count() == 1
    assert recognised(invoice) == [D("38.70")]


def test_recognise_again_on_a_date_leaves_lines_posted_since_to_the_next_date():
    ledger.post_invoice(make_invoice(recurring("31.00")))
    ledger.recognise(dt.date(2026, 3, 11))
    late = make_invoice(recurring("62.00"))
    ledger.post_invoice(late)

    again = ledger.recognise(dt.date(2026, 3, 11))
    assert again == 0
    assert recognised(late) == [D("0.00")]
    caught_up = ledger.recognise(dt.date(2026, 3, 12))

    assert caught_up == 2
    assert recognised(late) == [D("22.00")]
    assert JournalEntry.objects.filter(kind="recognition").count() == 2


def test_recognise_writes_one_entry_per_currency_for_many_lines():
    usd, cad = make_billing_account("USD"), make_billing_account("CAD")
    for billing_account in (usd, usd, cad):
        invoice = make_invoice(recurring("31.00"), recurring("62.00"), billing_account=billing_account)
        ledger.post_invoice(invoice)

    moved = ledger.recognise(dt.date(2026, 3, 2))

    assert moved == 6
    entries = {entry.currency: postings(entry) for entry in JournalEntry.objects.filter(kind="recognition")}
    assert entries == {
        "USD": [("Income:Internet", D("0.00"), D("6.00")), ("Liabilities:DeferredRevenue", D("6.00"), D("0.00"))],
        "CAD": [("Income:Internet", D("0.00"), D("3.00")), ("Liabilities:DeferredRevenue", D("3.00"), D("0.00"))],
    }


def test_recognise_reads_and_writes_many_lines_in_a_few_queries(django_assert_max_num_queries):
    billing_account = make_billing_account()
    invoices = [make_invoice(recurring("31.00"), recurring("3.10"), billing_account=billing_account) for _ in range(15)]
    for invoice in invoices:
        ledger.post_invoice(invoice)

    with django_assert_max_num_queries(7):  # savepoint, 2 reads, 3 writes, release
        moved = ledger.recognise(dt.date(2026, 3, 2))

    assert moved == 30
    assert {line for invoice in invoices for line in recognised(invoice)} == {D("1.00"), D("0.10")}


def test_recognise_skips_drafts_unposted_and_future_lines_and_never_goes_back():
    draft = make_invoice(recurring("31.00"), status="draft")
    unposted = make_invoice(recurring("31.00"))
    future = make_invoice(recurring("30.00", period_start=APRIL, period_end=dt.date(2026, 5, 1)))
    ledger.post_invoice(future)
    posted = make_invoice(recurring("31.00"))
    ledger.post_invoice(posted)
    ledger.recognise(dt.date(2026, 3, 21))

    earlier = ledger.recognise(dt.date(2026, 3, 11))

    assert earlier == 0
    assert recognised(posted) == [D("20.00")]
    assert recognised(draft) == recognised(unposted) == recognised(future) == [D("0.00")]


# Voids ----------------------------------------------------------------------------------------


def test_post_void_reverses_the_invoice_and_what_was_recognised_on_the_void_day():
    invoice = make_invoice(recurring("31.00"), one_time("50.00"), tax("4.40"))
    ledger.post_invoice(invoice)
    ledger.recognise(dt.date(2026, 3, 11))
    invoice.status, invoice.voided_at = "void", dt.datetime(2026, 3, 21, 2, 0, tzinfo=dt.UTC)  # 20 March in Maine
    invoice.save(update_fields=["status", "voided_at"])

    entry = ledger.post_void(invoice)

    assert (entry.date, entry.kind, entry.invoice, entry.source_key) == (
        dt.date(2026, 3, 20),
        "void",
        invoice,
        f"void:{invoice.pk}",
    )
    assert postings(entry) == [
        ("Assets:AccountsReceivable", D("0.00"), D("85.40")),
        ("Income:Installation", D("50.00"), D("0.00")),
        ("Income:Internet", D("10.00"), D("0.00")),
        ("Liabilities:DeferredRevenue", D("21.00"), D("0.00")),
        (TAX, D("4.40"), D("0.00")),
    ]
    assert balances() == {}
    assert recognised(invoice) == [D("0.00"), D("0.00"), D("0.00")]
    assert ledger.recognise(APRIL) == 0


def test_post_void_twice_writes_once():
    invoice = make_invoice(one_time("50.00"))
    ledger.post_invoice(invoice)
    invoice.status, invoice.voided_at = "void", clock.now()
    first = ledger.post_void(invoice)

    again = ledger.post_void(invoice)

    assert again == first
    assert JournalEntry.objects.filter(kind="void").count() == 1
    assert balances() == {}


def test_post_void_of_an_invoice_not_voided_is_conflict():
    invoice = make_invoice(one_time("50.00"))
    ledger.post_invoice(invoice)

    with pytest.raises(Conflict):
        ledger.post_void(invoice)

    assert JournalEntry.objects.count() == 1


def test_post_void_of_an_invoice_never_posted_writes_nothing():
    invoice = make_invoice(one_time("50.00"), status="void")
    invoice.voided_at = clock.now()

    assert ledger.post_void(invoice) is None
    assert JournalEntry.objects.count() == 0


# Export ---------------------------------------------------------------------------------------


def post_march() -> tuple[Invoice, Invoice]:
    """An invoice (in advance, with tax) and a credit note, recognised on 16 March."""
    invoice = make_invoice(recurring("79.99"), one_time("100.00"), tax("9.90"), number="INV-000001")
    note = make_invoice(one_time("-10.00"), kind="credit_note", number="CN-000001", bill_date=dt.date(2026, 3, 10))
    ledger.post_invoice(invoice)
    ledger.post_invoice(note)
    ledger.recognise(dt.date(2026, 3, 16))
    JournalEntry.objects.filter(pk=note.journal.get().pk).update(memo='Refund \\ "goodwill"')
    return invoice, note


def test_export_csv_writes_one_row_per_journal_line_in_the_range():
    invoice, note = post_march()
    out = io.StringIO()

    written = ledger.export(date_from=MARCH, date_to=dt.date(2026, 3, 15), format="csv", out=out)

    assert written == 2
    first, second = invoice.journal.get(), note.journal.get()
    memo = f"Invoice INV-000001 {invoice.billing_account.number} Cobscook "
    assert out.getvalue().splitlines() == [
        "date,entry,kind,memo,account,debit,credit,currency",
        f'2026-03-01,{first.pk},invoice,"{memo}""Bay"" Seafood",Assets:AccountsReceivable,189.89,0.00,USD',
        f'2026-03-01,{first.pk},invoice,"{memo}""Bay"" Seafood",Liabilities:DeferredRevenue,0.00,79.99,USD',
        f'2026-03-01,{first.pk},invoice,"{memo}""Bay"" Seafood",Income:Installation,0.00,100.00,USD',
        f'2026-03-01,{first.pk},invoice,"{memo}""Bay"" Seafood",{TAX},0.00,9.90,USD',
        f'2026-03-10,{second.pk},credit_note,"Refund \\ ""goodwill""",Assets:AccountsReceivable,0.00,10.00,USD',
        f'2026-03-10,{second.pk},credit_note,"Refund \\ ""goodwill""",Income:Installation,10.00,0.00,USD',
    ]


def test_export_beancount_passes_bean_check(tmp_path):
    invoice, _ = post_march()
    path = tmp_path / "ledger.beancount"
    with path.open("w") as out:
        written = ledger.export(date_from=MARCH, date_to=dt.date(2026, 3, 31), format="beancount", out=out)

    entries, errors, options = loader.load_file(str(path))

    assert written == 3
    assert errors == []
    assert options["operating_currency"] == ["USD"]
    transactions = [entry for entry in entries if type(entry).__name__ == "Transaction"]
    assert [(txn.date, txn.narration, txn.links) for txn in transactions] == [
        (MARCH, f'Invoice INV-000001 {invoice.billing_account.number} Cobscook "Bay" Seafood', {"INV-000001"}),
        (dt.date(2026, 3, 10), 'Refund \\ "goodwill"', {"CN-000001"}),
        (dt.date(2026, 3, 16), "Revenue recognised for the days before 2026-03-16 (USD)", set()),
    ]
    assert [(p.account, p.units.number) for p in transactions[2].postings] == [
        ("Liabilities:DeferredRevenue", D("38.70")),
        ("Income:Internet", D("-38.70")),
    ]
    check = subprocess.run([str(BEAN_CHECK), str(path)], capture_output=True, text=True, check=False)
    assert (check.returncode, check.stdout + check.stderr) == (0, "")


def test_bean_check_catches_an_unbalanced_transaction(tmp_path):
    path = tmp_path / "broken.beancount"
    path.write_text(
        'option "operating_currency" "USD"\n\n'
        "2026-03-01 open Assets:AccountsReceivable\n"
        "2026-03-01 open Income:Internet\n\n"
        '2026-03-01 * "Invoice INV-000001" ^INV-000001\n'
        "  Assets:AccountsReceivable  79.99 USD\n"
        "  Income:Internet  -79.98 USD\n"
    )

    _, errors, _ = loader.load_file(str(path))
    check = subprocess.run([str(BEAN_CHECK), str(path)], capture_output=True, text=True, check=False)

    assert [error.message for error in errors] == ["Transaction does not balance: (0.01 USD)"]
    assert check.returncode == 1
    assert "broken.beancount:6: Transaction does not balance: (0.01 USD)" in check.stdout + check.stderr


def test_export_beancount_of_a_tampered_amount_fails_bean_check(tmp_path):
    post_march()
    out = io.StringIO()
    ledger.export(date_from=MARCH, date_to=dt.date(2026, 3, 31), format="beancount", out=out)
    text = out.getvalue()
    path = tmp_path / "tampered.beancount"
    path.write_text(text.replace("-38.70 USD", "-38.71 USD"))

    _, errors, _ = loader.load_file(str(path))

    assert "-38.70 USD" in text
    assert [error.message for error in errors] == ["Transaction does not balance: (-0.01 USD)"]


def test_export_refuses_a_range_that_ends_before_it_starts():
    with pytest.raises(ValidationError) as caught:
        ledger.export(date_from=APRIL, date_to=MARCH, format="csv", out=io.StringIO())

    assert caught.value.field == "date_to"


# Commands -------------------------------------------------------------------------------------


def test_export_ledger_command_writes_csv_to_stdout():
    invoice = make_invoice(one_time("50.00"))
    ledger.post_invoice(invoice)
    out = io.StringIO()

    call_command("export_ledger", "--from", "2026-03-01", "--to", "2026-03-01", "--format", "csv", stdout=out)

    rows = out.getvalue().splitlines()
    assert rows[0] == "date,entry,kind,memo,account,debit,credit,currency"
    assert [row.rsplit(",", 4)[1:] for row in rows[1:]] == [
        ["Assets:AccountsReceivable", "50.00", "0.00", "USD"],
        ["Income:Installation", "0.00", "50.00", "USD"],
    ]


def test_export_ledger_command_writes_a_beancount_file(tmp_path):
    post_march()
    path = tmp_path / "march.beancount"

    call_command(
        "export_ledger", "--from=2026-03-01", "--to=2026-03-31", "--format=beancount", f"--output={path}",
        stdout=io.StringIO(), stderr=io.StringIO(),
    )  # fmt: skip

    _, errors, _ = loader.load_file(str(path))
    assert errors == []
    assert path.read_text().count(" * ") == 3


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--from=2026-02-30", "--to=2026-03-31"], "--from: '2026-02-30' is not a date (YYYY-MM-DD)."),
        (["--from=2026-03-01", "--to=March"], "--to: 'March' is not a date (YYYY-MM-DD)."),
        (["--from=2026-04-01", "--to=2026-03-31"], "--from (2026-04-01) is after --to (2026-03-31)."),
    ],
)
def test_export_ledger_command_rejects_bad_dates(arguments, message):
    with pytest.raises(CommandError) as caught:
        call_command("export_ledger", *arguments, "--format=csv", stdout=io.StringIO())

    assert str(caught.value) == message


def test_recognise_revenue_command_recognises_up_to_today_once():
    invoice = make_invoice(recurring("31.00"))
    ledger.post_invoice(invoice)
    out = io.StringIO()

    call_command("recognise_revenue", stdout=out)
    call_command("recognise_revenue", stdout=out)

    assert out.getvalue().splitlines() == ["1 lines recognised", "0 lines recognised"]  # today: 2 March
    assert recognised(invoice) == [D("1.00")]


def test_recognise_revenue_command_takes_a_date():
    invoice = make_invoice(recurring("31.00"))
    ledger.post_invoice(invoice)
    out = io.StringIO()

    call_command("recognise_revenue", "--as-of", "2026-03-11", stdout=out)

    assert out.getvalue() == "1 lines recognised\n"
    assert recognised(invoice) == [D("10.00")]
    with pytest.raises(CommandError, match="--as-of: '11/03/2026' is not a date"):
        call_command("recognise_revenue", "--as-of", "11/03/2026", stdout=out)
