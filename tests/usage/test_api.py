"""TMF635 usage: every body validates against the official Usage definition (tests/data/tmf);
filters by customer, service and days; bad filters are a 400 naming them; staff only."""

import datetime as dt

import pytest

from headend.usage.models import DailyUsage
from tests.api.client import TMFClient, assert_error, body
from tests.api.tmf_schema import assert_valid
from tests.factories import make_account, make_live_service, make_user
from tests.usage.conftest import make_capped_plan

pytestmark = pytest.mark.django_db

USAGE = "/usageManagement/v4/usage"
HOST = "http://testserver/tmf-api"


@pytest.fixture
def api(client):
    return TMFClient.for_user(client, make_user("support"))


@pytest.fixture
def usage():
    """Two customers' services: Ada's on Mar 1 and 2, Bea's on Mar 2."""
    plan = make_capped_plan(100, "notify")
    ada = make_live_service(make_account("residential"), plan)
    bea = make_live_service(make_account("residential"), plan)
    rows = [
        DailyUsage.objects.create(service=ada, day=dt.date(2026, 3, 1), input_octets=1_000, output_octets=5 * 2**32),
        DailyUsage.objects.create(service=ada, day=dt.date(2026, 3, 2), input_octets=2_000, output_octets=3),
        DailyUsage.objects.create(service=bea, day=dt.date(2026, 3, 2), input_octets=7, output_octets=8),
    ]
    return ada, bea, rows


def valid(items):
    for item in items:
        assert_valid(item, api="635", definition="Usage")
    return items


def test_one_days_usage_of_a_service(api, usage):
    ada, _, (first, _, _) = usage

    response = api.get(f"{USAGE}/{first.pk}")

    assert response.status_code == 200
    assert valid([body(response)])[0] == {
        "id": str(first.pk),
        "href": f"{HOST}{USAGE}/{first.pk}",
        "@type": "Usage",
        "description": f"Data usage of {ada.number} ({ada.product_version.product.name}) on 2026-03-01",
        "usageDate": "2026-03-01T00:00:00-05:00",
        "usageType": "data",
        "status": "received",
        "usageSpecification": {
            "id": "data",
            "name": "Data usage from RADIUS accounting",
            "@referredType": "UsageSpecification",
        },
        "relatedParty": [
            {
                "id": str(ada.account.pk),
                "href": f"{HOST}/customerManagement/v4/customer/{ada.account.pk}",
                "name": ada.account.name,
                "role": "customer",
                "@referredType": "Customer",
            }
        ],
        "usageCharacteristic": [
            {"name": "serviceId", "valueType": "string", "value": str(ada.pk)},
            {"name": "inputOctets", "valueType": "integer", "value": 1_000},
            {"name": "outputOctets", "valueType": "integer", "value": 21_474_836_480},
            {"name": "totalOctets", "valueType": "integer", "value": 21_474_837_480},
        ],
    }


def test_the_list_is_newest_day_first_with_its_counts(api, usage):
    _, _, (first, second, third) = usage

    response = api.get(USAGE)

    assert [item["id"] for item in valid(body(response))] == [str(second.pk), str(third.pk), str(first.pk)]
    assert (response["X-Total-Count"], response["X-Result-Count"]) == ("3", "3")


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"relatedParty.id": "bea"}, [2]),
        ({"service.id": "ada"}, [1, 0]),
        ({"usageDate.gte": "2026-03-02"}, [1, 2]),
        ({"usageDate.lt": "2026-03-02"}, [0]),
        ({"usageDate.gte": "2026-03-02T04:59:00Z", "usageDate.lt": "2026-03-03"}, [1, 2, 0]),
        ({"usageDate.gte": "2026-03-02T05:00:00Z", "service.id": "bea"}, [2]),
        ({"service.id": "999999"}, []),
    ],
)
def test_filters(api, usage, query, expected):
    ada, bea, rows = usage
    ids = {"ada": str(ada.pk), "bea": str(bea.pk)}
    if "relatedParty.id" in query:
        query["relatedParty.id"] = str(bea.account.pk)
    if query.get("service.id") in ids:
        query["service.id"] = ids[query["service.id"]]

    response = api.get(USAGE, **query)

    assert [item["id"] for item in valid(body(response))] == [str(rows[n].pk) for n in expected]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"usageDate.gte": "yesterday"}, "usageDate.gte"),
        ({"usageDate.lt": "2026-02-30"}, "usageDate.lt"),
        ({"usageDate.gte": "2026-03-02", "usageDate.lt": "2026-03-02"}, "usageDate.lt"),
        ({"limit": "0"}, "limit"),
        ({"offset": "-1"}, "offset"),
    ],
)
def test_a_bad_filter_is_a_400_naming_it(api, usage, query, field):
    assert_error(api.get(USAGE, **query), status=400, field=field, api="635")


def test_an_unknown_usage_is_a_404(api, usage):
    assert_error(api.get(f"{USAGE}/999999"), status=404, code="not_found", api="635")


def test_without_a_token_it_is_a_401_and_without_a_role_a_403(client, usage):
    assert_error(TMFClient(client).get(USAGE), status=401, api="635")
    assert_error(TMFClient.for_user(client, make_user()).get(USAGE), status=403, api="635")


def test_a_list_costs_the_same_statements_for_10_and_100_days(api, django_assert_max_num_queries):
    service = make_live_service(make_account("residential"), make_capped_plan(None))
    start = dt.date(2025, 1, 1)
    for count in (10, 100):
        DailyUsage.objects.filter(service=service).delete()
        DailyUsage.objects.bulk_create(
            DailyUsage(service=service, day=start + dt.timedelta(days=n), input_octets=n) for n in range(count)
        )
        with django_assert_max_num_queries(8):
            response = api.get(USAGE, limit="1000")
        assert len(body(response)) == count
