"""An outage above 50,000 services (issue 16; PostgreSQL, 10,000 on SQLite; a tenth in a small
run): an OLT's alert posted as Alertmanager sends it, then the relay that works out who it hits
(the impacted services with their MRR, the parent case, the customers' open cases linked to it,
one notice per customer and channel), timed against a bare bulk insert of as many rows as that
writes (impact rows and notices) in the same run. Goal: 10 s at most. Then the same alert
again (nothing written) and the resolved alert (the all-clear queued).

The network and its customers are written straight into the tables in bulk: an OLT with 64 PON
ports and the services bound to them (one customer each: every tenth a business with a primary
contact, the rest residents with an email and a mobile), 1 % of them with an open case, and
another OLT with a tenth as many services that the outage leaves alone."""

import json
import time

from bench import goal, size
from bench.setup_django import setup

GOAL_SECONDS = 10.0
PORTS = 64


def services(vendor: str) -> int:
    return size(50_000 if vendor == "postgresql" else 10_000)


def _alert(status: str, ends_at: str) -> bytes:
    return json.dumps(
        {
            "version": "4",
            "status": status,
            "receiver": "headend",
            "groupKey": '{}:{alertname="OltDown"}',
            "alerts": [
                {
                    "status": status,
                    "labels": {"alertname": "OltDown", "element": "bench-olt-1", "severity": "critical"},
                    "annotations": {"summary": "OLT bench-olt-1 unreachable"},
                    "startsAt": "2026-03-02T14:58:00Z",
                    "endsAt": ends_at,
                    "fingerprint": "0a1b2c3d4e5f6a7b",
                }
            ],
        }
    ).encode()


def main() -> None:
    vendor = setup()
    import datetime as dt
    from decimal import Decimal

    from django.db import transaction

    from bench.templates import define_missing
    from headend.catalog import services as catalog
    from headend.core import clock, events
    from headend.core.models import OutboxEvent
    from headend.crm.models import Account, Contact, Location
    from headend.inventory.models import Service, ServiceElement, ServiceOutage
    from headend.network import outages, topology
    from headend.network.models import Outage
    from headend.support.models import Case, OutageNotice

    count = services(vendor)
    spared = max(1, count // 10)
    batch = 2000
    turned_up = dt.datetime(2026, 1, 5, 15, tzinfo=dt.UTC)
    alert_at = dt.datetime(2026, 3, 2, 15, 0, tzinfo=dt.UTC)

    # `make bench` runs every benchmark in one process on one database: the events earlier
    # benchmarks left unpublished (thousands of them) are set aside, so the relay timed below
    # handles this alert's events, as a live server's relay would.
    OutboxEvent.objects.filter(published_at=None).update(published_at=clock.now())

    with clock.frozen(turned_up):
        product = catalog.product_create(
            code="bench-outage-fiber", name="Fiber 1 Gig", kind="internet", customer_type="any"
        )
        define_missing(product)
        version = catalog.version_publish(
            version=catalog.version_create(
                product=product, effective_from=dt.date(2020, 1, 1), prices={12: ("65.00", "0.00")}
            )
        )
        pop = topology.element_create(name="bench-pop", kind="pop")
        olt = topology.element_create(name="bench-olt-1", kind="olt", parent=pop)
        other_olt = topology.element_create(name="bench-olt-2", kind="olt", parent=pop)
        ports = [
            topology.element_create(name=f"bench-olt-1-pon-{n}", kind="pon_port", parent=olt) for n in range(PORTS)
        ]
        other_port = topology.element_create(name="bench-olt-2-pon-0", kind="pon_port", parent=other_olt)

    start = time.perf_counter()
    total = count + spared
    with transaction.atomic():
        accounts = Account.objects.bulk_create(
            (
                Account(
                    kind="business" if n % 10 == 0 else "residential",
                    status="active",
                    name=f"Subscriber {n}",
                    email=f"s{n}@example.com",
                    phone="" if n % 10 == 0 else f"+1207555{n % 10000:04d}",
                    created_at=turned_up,
                )
                for n in range(total)
            ),
            batch_size=batch,
        )
        Contact.objects.bulk_create(
            (
                Contact(
                    account=account,
                    first_name="Ops",
                    last_name=str(n),
                    role=Contact.Role.PRIMARY,
                    email=f"ops{n}@example.com",
                    phone=f"+1207556{n % 10000:04d}",
                    created_at=turned_up,
                )
                for n, account in enumerate(accounts)
                if n % 10 == 0
            ),
            batch_size=batch,
        )
        locations = Location.objects.bulk_create(
            (
                Location(
                    account=account,
                    line1=f"{n} Water St",
                    city="Eastport",
                    state="ME",
                    postal_code="04631",
                    address_key=f"{n} water st eastport me 04631",
                    created_at=turned_up,
                )
                for n, account in enumerate(accounts)
            ),
            batch_size=batch,
        )
        rows = Service.objects.bulk_create(
            (
                Service(
                    account=account,
                    location=location,
                    product_version=version,
                    status="active",
                    term_months=12,
                    mrc_amount=Decimal("65.00") if n % 3 else Decimal("49.99"),
                    nrc_amount=Decimal("0.00"),
                    currency="USD",
                    created_at=turned_up,
                    activated_at=turned_up,
                    billable_from=turned_up,
                    current_since=turned_up,
                    status_changed_at=turned_up,
                )
                for n, (account, location) in enumerate(zip(accounts, locations, strict=True))
            ),
            batch_size=batch,
        )
        ServiceElement.objects.bulk_create(
            (
                ServiceElement(
                    service=service,
                    element=ports[n % PORTS] if n < count else other_port,
                    source="provisioning",
                    bound_at=turned_up,
                )
                for n, service in enumerate(rows)
            ),
            batch_size=batch,
        )
        Case.objects.bulk_create(
            (
                Case(
                    account_id=service.account_id,
                    service=service,
                    location_id=service.location_id,
                    type="no_service",
                    channel="phone",
                    subject="No Internet",
                    created_at=turned_up,
                    updated_at=turned_up,
                    status_changed_at=turned_up,
                )
                for n, service in enumerate(rows)
                if n % 100 == 1
            ),
            batch_size=batch,
        )
    setup_seconds = time.perf_counter() - start
    impacted_mrr = sum((service.mrc_amount for service in rows[:count]), Decimal("0"))
    open_cases = sum(1 for n in range(count) if n % 100 == 1)

    results: dict[str, float] = {}
    with clock.frozen(alert_at):
        start = time.perf_counter()
        received = outages.alertmanager_receive(payload=_alert("firing", "0001-01-01T00:00:00Z"))
        events.relay()
        response = time.perf_counter() - start
        outage = Outage.objects.get(pk=received.opened[0])
        impact_rows = ServiceOutage.objects.filter(outage=outage).count()
        notices = OutageNotice.objects.filter(outage=outage).count()
        linked = Case.objects.filter(parent__outage=outage).count()
        label = f"alert posted, impact of {count:,} services worked out, cases linked, notices queued"
        results[label] = response
        assert impact_rows == count, (impact_rows, count)
        assert (outage.services_impacted, outage.customers_impacted) == (count, count)
        assert linked == open_cases, (linked, open_cases)
        at_risk = ServiceOutage.objects.filter(outage=outage).values_list("mrc_amount", flat=True)
        assert sum(at_risk, Decimal("0")) == impacted_mrr

        # Baseline: as many impact rows and notices bulk-inserted bare, rolled back.
        start = time.perf_counter()
        with transaction.atomic():
            bare = Outage.objects.create(
                element=other_olt, status="open", source="staff", title="baseline", created_at=alert_at
            )
            ServiceOutage.objects.bulk_create(
                (
                    ServiceOutage(
                        outage=bare,
                        service=service,
                        account_id=service.account_id,
                        mrc_amount=service.mrc_amount,
                        currency="USD",
                        started_at=alert_at,
                    )
                    for service in rows[:count]
                ),
                batch_size=batch,
            )
            OutageNotice.objects.bulk_create(
                (
                    OutageNotice(
                        outage=bare,
                        account=accounts[n // 2],
                        phase="start",
                        channel="email" if n % 2 == 0 else "sms",
                        to="s@example.com",
                        subject="Service interruption",
                        body="A problem on our network has interrupted your service.",
                        queued_at=alert_at,
                    )
                    for n in range(notices)
                ),
                batch_size=batch,
            )
            results[f"baseline: bulk insert of {impact_rows:,} impact rows and {notices:,} notices"] = (
                time.perf_counter() - start
            )
            transaction.set_rollback(True)

        before = (ServiceOutage.objects.count(), OutageNotice.objects.count(), Case.objects.count())
        start = time.perf_counter()
        outages.alertmanager_receive(payload=_alert("firing", "0001-01-01T00:00:00Z"))
        events.relay()
        results["the same alert again"] = time.perf_counter() - start
        assert (ServiceOutage.objects.count(), OutageNotice.objects.count(), Case.objects.count()) == before

    with clock.frozen(alert_at + dt.timedelta(minutes=20)):
        start = time.perf_counter()
        outages.alertmanager_receive(payload=_alert("resolved", "2026-03-02T15:19:00Z"))
        events.relay()
        results["resolved: impacts ended, all-clear queued, parent case resolved"] = time.perf_counter() - start
        all_clear = OutageNotice.objects.filter(outage=outage, phase="end").count()
        assert all_clear == notices, (all_clear, notices)
        assert ServiceOutage.objects.filter(outage=outage, ended_at=None).count() == 0

    seconds = results[label]
    baseline = results[f"baseline: bulk insert of {impact_rows:,} impact rows and {notices:,} notices"]
    print(f"\nBenchmark: an outage above {count:,} services ({vendor})")
    print(f"  set-up: {total:,} services, customers and bindings bulk-inserted in {setup_seconds:.1f} s")
    for name, taken in results.items():
        print(f"  {name:<92} {taken:8.3f} s")
    print(f"  {impact_rows:,} services impacted, {linked:,} open cases linked, {notices:,} notices queued, "
          f"{impacted_mrr:,} USD a month at risk; {seconds / baseline:.1f}x the bare insert")  # fmt: skip
    print(f"  goal <= {GOAL_SECONDS:.0f} s: {goal(seconds <= GOAL_SECONDS)}")


if __name__ == "__main__":
    main()
