"""Coverage files and offerings for the network tests: CSV lines in the FCC's format, files
written to tmp_path, named products, and locations placed inside an H3 cell."""

import csv
import datetime as dt
import random
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import h3

from headend.catalog import services as catalog_services
from headend.catalog.models import ProductVersion
from headend.crm.models import Account, Location
from headend.network import services as network_services
from headend.network.coverage_files import ADDRESS_COLUMNS, FCC_COLUMNS
from headend.network.models import CoverageImport
from tests.factories import define_change_templates, make_account, make_location

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "fcc-bdc"
SAMPLE = SAMPLE / "bdc_23029_fiber_fixed_broadband_J23_sample.csv"
PIONEER_CELL = "882b1c6a91fffff"  # 165 Pioneer Broadband rows, 1000/1000 fiber, all residential (R)
MIXED_CELL = "882b1c6ad7fffff"  # 283 Pioneer (R), 3 Charter 1000/35 (B), 1 FirstLight 1000/1000 (B)


def fcc_line(
    *,
    provider_id: str = "360068",
    location_id: str = "1127286822",
    technology: str = "50",
    down: str = "1000",
    up: str = "1000",
    market: str = "R",
    cell: str = PIONEER_CELL,
    brand: str = "Pioneer Broadband",
    low_latency: str = "1",
    block: str = "230299555003028",
) -> list[str]:
    """One availability row in the column order of FCC_COLUMNS."""
    return ["0011283405", provider_id, brand, location_id, technology, down, up, low_latency, market, "ME", block, cell]


def write_csv(path: Path, rows: Iterable[Sequence[str]], header: Sequence[str] = FCC_COLUMNS) -> Path:
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def import_fcc(path: Path, **options: Any) -> CoverageImport:
    with path.open("rb") as file:
        return network_services.coverage_import_fcc(file=file, file_name=path.name, **options)


def import_addresses(path: Path, **options: Any) -> CoverageImport:
    with path.open("rb") as file:
        return network_services.coverage_import_addresses(file=file, file_name=path.name, **options)


def address_list(path: Path, rows: Iterable[Sequence[str]]) -> Path:
    return write_csv(path, rows, header=ADDRESS_COLUMNS)


def write_generated_fcc_file(path: Path, rows: int, *, seed: int = 23029) -> Path:
    """`rows` valid availability rows, unique keys, placed in the sample's blocks and H3 cells
    with every terrestrial technology; written line by line, never held in memory."""
    with SAMPLE.open(newline="") as sample:
        places = sorted({(row["block_geoid"], row["h3_res8_id"]) for row in csv.DictReader(sample)})
    rng = random.Random(seed)
    speeds = [("1000", "1000"), ("500", "500"), ("300", "30"), ("100", "20"), ("25", "3"), ("10", "1")]
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(FCC_COLUMNS)
        for n in range(rows):
            block, cell = rng.choice(places)
            down, up = rng.choice(speeds)
            writer.writerow(
                [
                    "0011283405",
                    str(130000 + n % 7),
                    f"Provider {n % 7}",
                    str(1_200_000_000 + n),
                    rng.choice(["10", "40", "50", "70", "71", "72"]),
                    down,
                    up,
                    rng.choice("01"),
                    rng.choice("RBX"),
                    "ME",
                    block,
                    cell,
                ]
            )
    return path


def make_offering(
    name: str,
    *,
    customer_type: str = "residential",
    kind: str = "internet",
    technology: str = "fiber",
    down: int | None = 1000,
    up: int | None = 1000,
    publish: bool = True,
    effective_from: dt.date = dt.date(2024, 1, 1),
) -> ProductVersion:
    """A product named `name` with one version (published unless told otherwise)."""
    code = name.lower().replace(" ", "-").replace("/", "-")
    product = catalog_services.product_create(code=code, name=name, kind=kind, customer_type=customer_type)
    version = catalog_services.version_create(
        product=product,
        effective_from=effective_from,
        prices={12: ("70.00", "0.00")},
        download_mbps=down,
        upload_mbps=up,
        technology=technology,
    )
    define_change_templates(product)
    return catalog_services.version_publish(version=version) if publish else version


def located_in(cell: str, account: Account | None = None, **overrides: Any) -> Location:
    """A location at the centre of an H3 cell."""
    lat, lng = h3.cell_to_latlng(cell)
    return make_location(
        account or make_account("residential"), latitude=f"{lat:.6f}", longitude=f"{lng:.6f}", **overrides
    )
