"""Call record imports (billing/cdrs.py): Asterisk's Master.csv and a mapped CSV, duplicates by
unique id ignored, the same file twice changing nothing, bad files refused with the line and
field named and nothing written, the unrated queue re-rated after the deck is fixed."""

import datetime as dt
from decimal import Decimal

import pytest

from headend.billing import cdrs
from headend.billing.models import CallRecord, CdrImport
from headend.billing.usage_files import FileRejected
from headend.core.errors import Forbidden, ValidationError
from headend.inventory import services as inventory_services
from tests.billing.cdr_factories import cdr, make_voice_service, master_csv, upload_deck
from tests.conftest import relay_and_run_tasks
from tests.factories import make_user
from tests.module_records import fresh, kept_for_the_module

pytestmark = pytest.mark.django_db

TWO = master_csv(
    cdr("1709391600.1", "2026-03-02 09:00:00", "12125550100", 61),
    cdr("1709391600.2", "2026-03-02 09:30:00", "12125550100", 125),
)


@pytest.fixture(scope="module")
def shared_line(django_db_setup, django_db_blocker):
    """A voice service with no included minutes (every second charged) and the retail rate deck,
    built once for the module's tests on a worker (tests/module_records.py)."""
    with kept_for_the_module(django_db_blocker):
        service = make_voice_service(minutes=None)
        relay_and_run_tasks()
        upload_deck()
        yield {"service": service}


@pytest.fixture
def line(shared_line):
    return fresh(shared_line)["service"]


def calls() -> list[tuple[str, str, int, Decimal]]:
    return list(CallRecord.objects.order_by("unique_id").values_list("unique_id", "status", "billed_seconds", "amount"))


def refused(data: bytes, **options) -> list[tuple[int, str, str]]:
    with pytest.raises(FileRejected) as caught:
        cdrs.cdr_import(data=data, file_name="bad.csv", **options)
    assert (CdrImport.objects.count(), CallRecord.objects.count()) == (0, 0)  # nothing written
    return [(error.line, error.column, error.message) for error in caught.value.errors]


def test_an_asterisk_file_is_imported_and_rated(line):
    batch = cdrs.cdr_import(data=TWO, file_name="Master.csv")

    assert calls() == [
        ("1709391600.1", "rated", 66, Decimal("0.02")),  # 66 s at 0.02 = 0.022
        ("1709391600.2", "rated", 126, Decimal("0.04")),  # 0.042
    ]
    record = CallRecord.objects.get(unique_id="1709391600.1")
    assert (record.service, record.subscription, record.started_at) == (
        line, line.billing, dt.datetime(2026, 3, 2, 14, 0, tzinfo=dt.UTC),  # 09:00 in Maine
    )  # fmt: skip
    assert (record.duration_seconds, record.billsec, record.disposition, record.cdr_import) == (
        66,
        61,
        "ANSWERED",
        batch,
    )


def test_importing_the_same_file_twice_changes_nothing(line):
    first = cdrs.cdr_import(data=TWO, file_name="Master.csv")
    before = calls()

    again = cdrs.cdr_import(data=TWO, file_name="Master (copy).csv")

    assert again == first
    assert CdrImport.objects.count() == 1
    assert calls() == before


def test_known_calls_in_a_new_file_are_duplicates_and_left_as_they_were(line):
    cdrs.cdr_import(data=TWO, file_name="Master.csv")
    before = calls()
    more = master_csv(
        cdr("1709391600.2", "2026-03-02 09:30:00", "12125550100", 999),  # known: the stored one stays
        cdr("1709391600.3", "2026-03-02 10:00:00", "12125550100", 6),
        cdr("1709391600.3", "2026-03-02 10:00:00", "12125550100", 6),  # twice in this file
    )

    batch = cdrs.cdr_import(data=more, file_name="Master-2.csv")

    assert (batch.lines, batch.added, batch.duplicates) == (3, 1, 2)
    assert batch.report == [
        [1, "1709391600.2", "duplicate", "Imported before."],
        [3, "1709391600.3", "duplicate", "Also on line 2 of this file."],
    ]
    assert calls() == [*before, ("1709391600.3", "rated", 60, Decimal("0.02"))]


def test_a_header_line_naming_the_columns_is_allowed(line):
    header = ",".join(cdrs.ASTERISK_COLUMNS)

    batch = cdrs.cdr_import(data=header.encode() + b"\n" + TWO, file_name="Master.csv")

    assert (batch.lines, batch.rated) == (2, 2)
    assert CallRecord.objects.get(unique_id="1709391600.1").line == 2


def test_a_wrong_header_is_refused_on_line_1(line):
    header = ",".join(cdrs.ASTERISK_COLUMNS[:17]).replace(",src,", ",source,")

    errors = refused(header.encode() + b"\n" + TWO)

    assert errors == [
        (1, "source", "The header is not Asterisk's Master.csv: column 2 is 'source' where Master.csv has 'src' "
                      "(columns: accountcode, src, dst, dcontext, clid, channel, dstchannel, lastapp, lastdata, start, "
                      "answer, end, duration, billsec, disposition, amaflags, uniqueid, optionally userfield)."),
    ]  # fmt: skip


def test_negative_durations_are_refused_naming_the_line_and_field(line):
    bad = master_csv(
        cdr("a1", "2026-03-02 09:00:00", "12125550100", 61),
        cdr("a2", "2026-03-02 09:00:00", "12125550100", 61, duration=-3),
        cdr("a3", "2026-03-02 09:00:00", "12125550100", 61).replace(",66,61,", ",66,-61,"),
    )

    errors = refused(bad)

    assert errors == [
        (2, "duration", "duration is negative (-3): a call lasts 0 seconds or more."),
        (3, "billsec", "billsec is negative (-61): a call lasts 0 seconds or more."),
    ]


def test_dates_that_cannot_be_read_are_refused_naming_the_line_and_field(line):
    bad = master_csv(
        cdr("a1", "2026-03-02 09:00:00", "12125550100", 61),
        cdr("a2", "2026-03-02 09:00:00", "12125550100", 61).replace('"2026-03-02 09:00:00"', '"March 2nd, 9am"'),
        cdr("a3", "2026-03-02 09:00:00", "12125550100", 61).replace('"2026-03-02 09:01:06"', '"2026-02-30 09:01:06"'),
    )

    errors = refused(bad)

    assert errors == [
        (2, "start", "start is not a date and time: 'March 2nd, 9am'; write it as 2026-03-02 14:05:09."),
        (3, "end", "end is not a date and time: '2026-02-30 09:01:06'; write it as 2026-03-02 14:05:09."),
    ]


def test_lines_of_the_wrong_width_or_without_unique_id_or_with_billsec_over_duration_are_refused(line):
    bad = master_csv(
        '"","2075550134","12125550100","2026-03-02 09:00:00"',
        cdr("", "2026-03-02 09:00:00", "12125550100", 61),
        cdr("a3", "2026-03-02 09:00:00", "12125550100", 61, duration=30),
    )

    errors = refused(bad)

    assert [(number, column) for number, column, _ in errors] == [(1, ""), (2, "uniqueid"), (3, "billsec")]
    assert errors[0][2] == "The line has 4 cells; Master.csv lines have 17 (or 18 with userfield)."
    assert errors[2][2] == "billsec (61) is more than duration (30)."


def test_a_mapped_csv_is_read_by_the_columns_staff_name(line):
    data = (
        b"Call ID,Caller,Called,Began (UTC),Talk\n"
        b"x-1,+1 207 555 0134,+44 20 7946 0000,2026-03-02T14:00:00Z,31\n"
        b"x-2,+1 207 555 0134,+1 212 555 0100,1772460000,0\n"
    )
    mapping = {"unique_id": "call id", "source": "Caller", "destination": "Called", "start": "Began (UTC)",
               "billsec": "talk"}  # fmt: skip

    batch = cdrs.cdr_import(data=data, file_name="switch.csv", format="mapped", mapping=mapping, time_zone="UTC")

    assert calls() == [("x-1", "rated", 36, Decimal("0.03")), ("x-2", "not_charged", 0, Decimal("0.00"))]
    assert CallRecord.objects.get(unique_id="x-2").started_at == dt.datetime(2026, 3, 2, 14, tzinfo=dt.UTC)
    assert batch.mapping == mapping
    assert cdrs.last_mapping() == mapping


def test_a_mapping_naming_a_column_the_file_lacks_is_refused_on_line_1(line):
    mapping = {"unique_id": "id", "source": "from", "destination": "to", "start": "start", "billsec": "seconds"}

    errors = refused(b"id,from,to,start,secs\n1,2075550134,12125550100,2026-03-02 09:00,60\n", format="mapped",
                     mapping=mapping)  # fmt: skip

    assert errors == [(1, "seconds", "The header has no column 'seconds' (it names id, from, to, start, secs).")]


def test_a_mapping_without_the_destination_is_a_field_error(line):
    with pytest.raises(ValidationError) as caught:
        cdrs.cdr_import(data=b"id\n1\n", file_name="x.csv", format="mapped", mapping={"unique_id": "id"})

    assert caught.value.field == "destination"


def test_the_account_code_claims_a_call_before_the_source_number(line, run_worker):
    other = make_voice_service(minutes=None, number="+12075550177", account_code="ACME-7")
    run_worker()

    cdrs.cdr_import(data=master_csv(cdr("k1", "2026-03-02 09:00:00", "12125550100", 60, account="ACME-7")),
                    file_name="Master.csv")  # fmt: skip

    assert CallRecord.objects.get().service == other


def test_unrated_calls_are_rated_again_once_the_deck_and_the_service_are_fixed(line):
    cdrs.cdr_import(
        data=master_csv(
            cdr("u1", "2026-03-02 09:00:00", "33142685300", 120),  # France: not in the deck
            cdr("u2", "2026-03-02 09:10:00", "12125550100", 60, src="2075550188"),  # nobody's number
        ),
        file_name="Master.csv",
    )
    assert cdrs.calls_rerate() == cdrs.Rerated(rated=0, unrated=2, not_charged=0)  # nothing fixed yet

    upload_deck("prefix,description,rate_per_minute,minimum_seconds,increment_seconds,effective_from\n"
                "33,France,0.04,60,6,2026-01-01\n", name="France")  # fmt: skip
    inventory_services.service_set_identifiers(service=line, phone_numbers=["+12075550188"])
    done = cdrs.calls_rerate(rerated_by=make_user("billing"))

    assert done == cdrs.Rerated(rated=2, unrated=0, not_charged=0)
    assert calls() == [("u1", "rated", 120, Decimal("0.08")), ("u2", "rated", 60, Decimal("0.02"))]
    assert CallRecord.objects.get(unique_id="u2").service == line


def test_only_billing_staff_import_and_rerate(line):
    with pytest.raises(Forbidden):
        cdrs.cdr_import(data=TWO, file_name="Master.csv", imported_by=make_user("support"))
    with pytest.raises(Forbidden):
        cdrs.calls_rerate(rerated_by=make_user("sales"))

    assert CdrImport.objects.count() == 0


@pytest.mark.parametrize("count", [10, 100])
def test_an_import_costs_the_same_statements_for_10_or_100_calls(line, count, django_assert_max_num_queries):
    data = master_csv(*(cdr(f"n{n}", "2026-03-02 09:00:00", "12125550100", 61) for n in range(count)))

    with django_assert_max_num_queries(8):
        cdrs.cdr_import(data=data, file_name="Master.csv")

    assert CallRecord.objects.filter(status="rated").count() == count


@pytest.mark.parametrize("count", [10, 100])
def test_a_rerate_costs_the_same_statements_for_10_or_100_calls(line, count, django_assert_max_num_queries):
    data = master_csv(*(cdr(f"n{n}", "2026-03-02 09:00:00", "33142685300", 61) for n in range(count)))
    cdrs.cdr_import(data=data, file_name="Master.csv")
    upload_deck("prefix,description,rate_per_minute,minimum_seconds,increment_seconds,effective_from\n"
                "33,France,0.04,60,6,2026-01-01\n", name="France")  # fmt: skip

    with django_assert_max_num_queries(6):
        cdrs.calls_rerate()

    assert CallRecord.objects.filter(status="rated").count() == count
