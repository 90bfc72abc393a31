"""Coverage imports: the FCC sample, idempotence, bad rows by line, refused headers, address lists."""

import threading
from collections import Counter
from decimal import Decimal

import pytest
from django.db import DatabaseError, connection

from headend.network.coverage_files import FCC_COLUMNS
from headend.network.models import AddressCoverage, CoverageImport, FccAvailability, RejectedRow
from tests.conftest import outbox_names
from tests.network.factories import (
    MIXED_CELL,
    SAMPLE,
    address_list,
    fcc_line,
    import_addresses,
    import_fcc,
    write_csv,
)

pytestmark = pytest.mark.django_db


def counts(record: CoverageImport) -> tuple[str, int, int, int, int]:
    return record.status, record.rows_read, record.rows_imported, record.rows_rejected, record.rows_skipped


def test_import_fcc_sample_counts_rows_locations_technologies_and_cells():
    record = import_fcc(SAMPLE)

    assert counts(record) == ("completed", 3548, 3548, 0, 0)
    assert FccAvailability.objects.count() == 3548
    assert FccAvailability.objects.values("location_id").distinct().count() == 3504
    assert FccAvailability.objects.values("provider_id").distinct().count() == 8
    assert FccAvailability.objects.values("h3_res8").distinct().count() == 326
    assert FccAvailability.objects.values("block_geoid").distinct().count() == 303
    assert Counter(FccAvailability.objects.values_list("technology", flat=True)) == {"fiber": 3548}
    assert Counter(FccAvailability.objects.values_list("business_residential_code", flat=True)) == {
        "R": 2856,
        "X": 563,
        "B": 129,
    }
    in_cell = FccAvailability.objects.filter(h3_res8=MIXED_CELL)
    assert in_cell.count() == 287
    assert in_cell.values("location_id").distinct().count() == 283
    assert Counter(in_cell.values_list("brand_name", "max_down_mbps", "max_up_mbps", "business_residential_code")) == {
        ("Pioneer Broadband", Decimal("1000"), Decimal("1000"), "R"): 283,
        ("Charter Communications Inc", Decimal("1000"), Decimal("35"), "B"): 3,
        ("FirstLight Fiber", Decimal("1000"), Decimal("1000"), "B"): 1,
    }


def test_import_fcc_keeps_the_fcc_ids_and_the_first_row_exactly():
    import_fcc(SAMPLE)

    row = FccAvailability.objects.get(provider_id=360068, location_id=1127286822, technology_code=50)

    assert (row.frn, row.brand_name, row.technology, row.max_down_mbps, row.max_up_mbps) == (
        "0011283405",
        "Pioneer Broadband",
        "fiber",
        Decimal("1000"),
        Decimal("1000"),
    )
    assert (row.low_latency, row.business_residential_code, row.state_usps, row.block_geoid, row.h3_res8) == (
        True,
        "R",
        "ME",
        "230299555003028",
        "882b1c6a91fffff",
    )


def test_import_fcc_twice_changes_nothing():
    import_fcc(SAMPLE)
    before = list(FccAvailability.objects.order_by("pk").values_list())

    again = import_fcc(SAMPLE)

    assert counts(again) == ("completed", 3548, 3548, 0, 0)
    assert list(FccAvailability.objects.order_by("pk").values_list()) == before
    assert CoverageImport.objects.count() == 2


def test_import_fcc_updates_a_newer_speed_in_place(tmp_path):
    import_fcc(write_csv(tmp_path / "june.csv", [fcc_line(down="500", up="500")]))
    row = FccAvailability.objects.get()

    import_fcc(write_csv(tmp_path / "december.csv", [fcc_line(down="1000", up="1000")]))

    assert list(FccAvailability.objects.values_list("pk", "max_down_mbps", "max_up_mbps")) == [
        (row.pk, Decimal("1000"), Decimal("1000"))
    ]


def test_import_fcc_same_key_twice_in_one_file_keeps_the_last_row(tmp_path):
    path = write_csv(tmp_path / "twice.csv", [fcc_line(down="100", up="100"), fcc_line(down="300", up="30")])

    record = import_fcc(path)

    assert counts(record) == ("completed", 2, 2, 0, 0)
    assert list(FccAvailability.objects.values_list("max_down_mbps", "max_up_mbps")) == [
        (Decimal("300"), Decimal("30"))
    ]


def test_import_fcc_rejects_bad_rows_with_their_file_line_numbers(tmp_path):
    good = ",".join(fcc_line(location_id="1000000001"))
    lines = [
        ",".join(fcc_line(location_id="1000000000")),  # line 2
        ",".join(fcc_line(technology="99")),  # 3
        ",".join(fcc_line(down="fast")),  # 4
        ",".join(fcc_line(cell="not-a-cell")),  # 5
        ",".join(fcc_line(cell="892b1c6a903ffff")),  # 6: a res-9 cell
        "",  # 7: a blank line is no row
        good,  # 8
        "0011283405,360068,Pioneer Broadband",  # 9
        ",".join(fcc_line(technology="60", location_id="1000000002")),  # 10: satellite, skipped
        ",".join(fcc_line(market="Q")),  # 11
        ",".join(fcc_line(up="-5")),  # 12
        ",".join(fcc_line(location_id="12ab")),  # 13
    ]
    path = tmp_path / "bad.csv"
    path.write_text(",".join(FCC_COLUMNS) + "\n" + "\n".join(lines) + "\n", encoding="utf-8")

    record = import_fcc(path)

    assert counts(record) == ("completed", 11, 2, 8, 1)
    assert list(record.rejected_rows.values_list("line", "reason")) == [
        (3, "unknown technology code '99' (FCC codes are 0, 10, 40, 50, 60, 61, 70, 71, 72)"),
        (4, "max_advertised_download_speed 'fast' is not a number"),
        (5, "h3_res8_id 'not-a-cell' is not an H3 cell"),
        (6, "h3_res8_id '892b1c6a903ffff' is an H3 cell at resolution 9, not 8"),
        (9, "expected 12 fields, found 3"),
        (11, "business_residential_code 'Q' is not R, B or X"),
        (12, "max_advertised_upload_speed '-5' is out of range (0 to 100,000 Mbps)"),
        (13, "location_id '12ab' is not a whole number"),
    ]
    assert record.skipped_reasons == {"geostationary satellite (code 60)": 1}
    assert sorted(FccAvailability.objects.values_list("location_id", flat=True)) == [1000000000, 1000000001]


def test_import_fcc_rejects_a_bad_value_on_every_row_that_has_it(tmp_path):
    rows = [
        fcc_line(location_id="1000000000"),
        fcc_line(location_id="1000000001", cell="not-a-cell"),  # 3
        fcc_line(location_id="1000000002", cell="not-a-cell"),  # 4: not only the first time
        fcc_line(location_id="1000000003", market="Q"),  # 5: a cell seen before, then its market
        fcc_line(location_id="1000000004"),
    ]

    record = import_fcc(write_csv(tmp_path / "again.csv", rows))

    assert counts(record) == ("completed", 5, 2, 3, 0)
    assert list(record.rejected_rows.values_list("line", "reason")) == [
        (3, "h3_res8_id 'not-a-cell' is not an H3 cell"),
        (4, "h3_res8_id 'not-a-cell' is not an H3 cell"),
        (5, "business_residential_code 'Q' is not R, B or X"),
    ]


def test_import_fcc_maps_every_terrestrial_technology_and_skips_satellite_and_other(tmp_path):
    codes = ["10", "40", "50", "70", "71", "72", "60", "61", "0"]
    path = write_csv(tmp_path / "all.csv", [fcc_line(technology=code) for code in codes])

    record = import_fcc(path)

    assert counts(record) == ("completed", 9, 6, 0, 3)
    assert dict(FccAvailability.objects.values_list("technology_code", "technology")) == {
        10: "dsl",
        40: "cable",
        50: "fiber",
        70: "fixed_wireless",
        71: "fixed_wireless",
        72: "fixed_wireless",
    }
    assert record.skipped_reasons == {
        "geostationary satellite (code 60)": 1,
        "non-geostationary satellite (code 61)": 1,
        "other technology (code 0)": 1,
    }


def test_import_fcc_for_one_provider_skips_the_others():
    record = import_fcc(SAMPLE, provider_id=360068)

    assert counts(record) == ("completed", 3548, 2656, 0, 892)
    assert record.skipped_reasons == {"another provider than 360068": 892}
    assert set(FccAvailability.objects.values_list("provider_id", flat=True)) == {360068}


def test_import_fcc_keeps_the_fcc_tier_below_one_mbps_exactly(tmp_path):
    import_fcc(write_csv(tmp_path / "tier.csv", [fcc_line(technology="10", down="0.2", up="0.2")]))

    assert FccAvailability.objects.get().max_down_mbps == Decimal("0.2")


@pytest.mark.parametrize(
    ("header", "message"),
    [
        (
            "frn,provider_id,brand_name,location_id,technology,max_advertised_download_speed,"
            "max_advertised_upload_speed,low_latency,business_residential_code,state_usps,block_geoid,h3_res8_id,extra",
            "Not an FCC BDC availability file: unexpected column extra.",
        ),
        (
            "frn,provider_id,brand_name,location_id,tech,max_down,max_advertised_upload_speed,low_latency,"
            "business_residential_code,state_usps,block_geoid,h3_res8_id",
            "Not an FCC BDC availability file: missing columns technology, max_advertised_download_speed; "
            "unexpected columns tech, max_down.",
        ),
        ("address,unit,city,state,zip,technology,max_down,max_up", None),
    ],
)
def test_import_fcc_with_a_wrong_header_refuses_the_whole_file(tmp_path, header, message):
    path = tmp_path / "wrong.csv"
    path.write_text(header + "\n" + ",".join(fcc_line()) + "\n", encoding="utf-8")

    record = import_fcc(path)

    assert counts(record) == ("refused", 0, 0, 0, 0)
    if message:
        assert record.error.startswith(message)
    else:
        assert record.error.startswith(
            "Not an FCC BDC availability file: missing columns frn, provider_id, brand_name, location_id"
        )
    assert record.error.endswith(
        "The header must name these columns: frn, provider_id, brand_name, location_id, technology, "
        "max_advertised_download_speed, max_advertised_upload_speed, low_latency, business_residential_code, "
        "state_usps, block_geoid, h3_res8_id."
    )
    assert not FccAvailability.objects.exists()
    assert not RejectedRow.objects.exists()


def test_import_fcc_accepts_the_columns_in_another_order(tmp_path):
    line = fcc_line()
    path = write_csv(tmp_path / "reversed.csv", [list(reversed(line))], header=list(reversed(FCC_COLUMNS)))

    record = import_fcc(path)

    assert counts(record) == ("completed", 1, 1, 0, 0)
    assert FccAvailability.objects.get().h3_res8 == line[-1]


def test_import_fcc_of_an_empty_file_is_refused(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_text("", encoding="utf-8")

    record = import_fcc(path)

    assert record.status == "refused"
    assert record.error.startswith("The file is empty: an FCC BDC availability file starts with the header line frn,")


def test_import_fcc_rejects_a_line_that_is_not_utf8_and_reads_on(tmp_path):
    path = write_csv(tmp_path / "latin1.csv", [fcc_line()])
    latin1 = ",".join(fcc_line(brand="Caf\xe9 Net", location_id="1000000009")).encode("latin-1")
    path.write_bytes(path.read_bytes() + latin1 + b"\r\n" + ",".join(fcc_line(location_id="1000000010")).encode())

    record = import_fcc(path)

    assert counts(record) == ("completed", 3, 2, 1, 0)
    assert list(record.rejected_rows.values_list("line", "reason")) == [
        (3, "brand_name is not UTF-8 text (save the file as UTF-8)")
    ]


def test_import_writes_progress_after_every_batch(tmp_path):
    path = write_csv(tmp_path / "five.csv", [fcc_line(location_id=str(1000000000 + n)) for n in range(5)])
    seen = []

    def progress(record):
        stored = CoverageImport.objects.get(pk=record.pk)
        seen.append((stored.status, stored.rows_read, stored.rows_imported, FccAvailability.objects.count()))

    import_fcc(path, batch_size=2, progress=progress)

    assert seen == [("running", 2, 2, 2), ("running", 4, 4, 4), ("completed", 5, 5, 5)]


def test_import_stopped_by_a_database_error_keeps_the_batches_before_it(tmp_path):
    path = write_csv(tmp_path / "five.csv", [fcc_line(location_id=str(1000000000 + n)) for n in range(5)])
    upserts = []

    def second_upsert_fails(execute, sql, params, many, context):
        if sql.startswith('INSERT INTO "network_fccavailability"'):
            upserts.append(sql)
            if len(upserts) == 2:
                raise DatabaseError("could not extend file: No space left on device")
        return execute(sql, params, many, context)

    with connection.execute_wrapper(second_upsert_fails), pytest.raises(DatabaseError):
        import_fcc(path, batch_size=2)

    record = CoverageImport.objects.get()
    assert counts(record) == ("failed", 2, 2, 0, 0)
    assert record.error == "Stopped by an internal error; the rows up to line 3 are imported."
    assert sorted(FccAvailability.objects.values_list("location_id", flat=True)) == [1000000000, 1000000001]
    assert outbox_names(subject=record) == []
    assert "coverage-read-ahead" not in [thread.name for thread in threading.enumerate()]


def test_import_keeps_the_first_thousand_rejected_rows_and_counts_all(tmp_path):
    path = write_csv(
        tmp_path / "bad.csv", [fcc_line(technology="9", location_id=str(1000000000 + n)) for n in range(1005)]
    )

    record = import_fcc(path)

    assert counts(record) == ("completed", 1005, 0, 1005, 0)
    assert record.rejected_rows.count() == 1000
    assert record.rejected_rows_not_kept == 5
    assert record.rejected_rows.last().line == 1001


def test_import_completed_emits_one_event():
    record = import_fcc(SAMPLE)

    assert outbox_names(subject=record) == ["coverage.imported"]


def test_import_addresses_normalises_each_address(tmp_path):
    path = address_list(
        tmp_path / "passings.csv",
        [
            ["12 Water Street", "Suite 4", "Eastport", "me", "04631", "Fiber", "1000", "1000"],
            ["7 Main St.", "", "Lubec", "ME", "04652-1234", "fixed wireless", "100", "20"],
        ],
    )

    record = import_addresses(path)

    assert counts(record) == ("completed", 2, 2, 0, 0)
    assert list(AddressCoverage.objects.order_by("city").values_list("address_key", "technology", "max_down_mbps")) == [
        ("12 WATER ST|STE 4|EASTPORT|ME|04631", "fiber", Decimal("1000")),
        ("7 MAIN ST||LUBEC|ME|04652", "fixed_wireless", Decimal("100")),
    ]


def test_import_addresses_rejects_rows_naming_the_column(tmp_path):
    path = address_list(
        tmp_path / "passings.csv",
        [
            ["12 Water Street", "", "Eastport", "ME", "4631", "fiber", "1000", "1000"],
            ["Water Street", "", "Eastport", "ME", "04631", "fiber", "1000", "1000"],
            ["12 Water Street", "", "Eastport", "ME", "04631", "carrier pigeon", "1000", "1000"],
            ["12 Water Street", "", "Eastport", "ME", "04631", "fiber", "1 Gig", "1000"],
            ["14 Water Street", "", "Eastport", "ME", "04631", "cable", "300", "30"],
        ],
    )

    record = import_addresses(path)

    assert counts(record) == ("completed", 5, 1, 4, 0)
    assert list(record.rejected_rows.values_list("line", "reason")) == [
        (2, "zip: '4631' is not a ZIP code (12345 or 12345-6789)."),
        (3, "address: The street address 'Water Street' could not be understood; enter number and street."),
        (4, "unknown technology 'carrier pigeon' (use fiber, cable, fixed_wireless or dsl)"),
        (5, "max_down '1 Gig' is not a number"),
    ]


def test_import_addresses_rejects_an_address_longer_than_its_key(tmp_path):
    long = ["12 " + "W" * 185 + " Street", "Suite " + "4" * 96, "E" * 100, "ME", "04631", "fiber", "100", "20"]
    path = address_list(
        tmp_path / "long.csv", [long, ["14 Water Street", "", "Eastport", "ME", "04631", "cable", "300", "30"]]
    )

    record = import_addresses(path)

    assert counts(record) == ("completed", 2, 1, 1, 0)
    assert list(record.rejected_rows.values_list("line", "reason")) == [
        (2, "address, unit and city are longer than 400 characters together")
    ]
    assert list(AddressCoverage.objects.values_list("address_key", flat=True)) == ["14 WATER ST||EASTPORT|ME|04631"]


def test_import_addresses_twice_changes_nothing(tmp_path):
    path = address_list(
        tmp_path / "p.csv", [["12 Water Street", "", "Eastport", "ME", "04631", "fiber", "1000", "1000"]]
    )
    import_addresses(path)
    before = list(AddressCoverage.objects.values_list())

    import_addresses(path)

    assert list(AddressCoverage.objects.values_list()) == before
