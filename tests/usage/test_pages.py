"""The service page's usage section (a panel: inventory does not import usage): the cycle's daily
bars against the cap line as an accessible SVG (title, description, a table of the same figures),
its totals and percent of the cap; and the plan version form's rule at the cap."""

import datetime as dt
import re

import pytest
from django.urls import reverse

from headend.usage import chart
from headend.usage.models import CapCycle, DailyUsage
from tests.factories import make_account, make_live_service, make_user
from tests.portal.conftest import make_portal_login, portal_client
from tests.usage.conftest import GB, make_capped_plan

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client):
    client.force_login(make_user("support"))
    return client


def test_the_service_page_charts_the_cycles_usage_against_the_cap(staff):
    service = make_live_service(make_account("residential"), make_capped_plan(10, "throttle"))
    DailyUsage.objects.create(service=service, day=dt.date(2026, 3, 1), input_octets=GB, output_octets=5 * GB)
    DailyUsage.objects.create(service=service, day=dt.date(2026, 3, 2), input_octets=0, output_octets=2_500_000_000)
    CapCycle.objects.create(service=service, cycle_start=dt.date(2026, 3, 1), cycle_end=dt.date(2026, 4, 1),
                            cap_octets=10 * GB, used_octets=0, action="throttle", throttle="applied")  # fmt: skip

    html = staff.get(service.get_absolute_url()).content.decode()

    assert "Mar 1 to Mar 31, 2026: <strong>8.5 GB</strong> (7.5 GB down, 1.0 GB up) of 10.0 GB" in html
    assert "<strong>85 %</strong> of the cap. At the cap: throttle until the next cycle" in html
    assert "<strong>throttled</strong> until the next cycle" in html
    svg = re.search(r'<svg class="usage-chart".*?</svg>', html, re.S).group(0)
    assert 'role="img" aria-labelledby="usage-chart-title usage-chart-desc"' in svg
    assert '<title id="usage-chart-title">Data usage per day, Mar 1 to Mar 31</title>' in svg
    assert svg.count('class="usage-bar"') == 2  # the days so far; none for days to come
    assert "<title>Mon Mar 2: 2.5 GB that day, 8.5 GB so far</title>" in svg
    assert "Cap 10.0 GB" in svg
    assert '<th scope="row">Mon Mar 2</th><td class="num">2.5 GB</td><td class="num">0.0 GB</td>' in html


def test_the_customer_sees_the_same_usage_on_the_portals_service_page_and_no_one_elses():
    login = make_portal_login(make_account("residential"))
    service = make_live_service(login.account, make_capped_plan(10, "notify"))
    DailyUsage.objects.create(service=service, day=dt.date(2026, 3, 2), input_octets=GB, output_octets=3 * GB)
    customer = portal_client(login)

    html = customer.get(reverse("portal:service", args=[service.pk])).content.decode()

    assert "<strong>4.0 GB</strong> (3.0 GB down, 1.0 GB up) of 10.0 GB, <strong>40 %</strong> of the cap" in html
    assert 'class="usage-chart"' in html
    other = portal_client(make_portal_login(make_account("residential")))
    assert other.get(reverse("portal:service", args=[service.pk])).status_code == 404


def test_no_cap_and_no_usage_shows_no_section(staff):
    service = make_live_service(make_account("residential"), make_capped_plan(None))

    assert "Data usage" not in staff.get(service.get_absolute_url()).content.decode()


def test_the_chart_scales_to_the_cap_and_stacks_each_day_on_the_ones_before():
    days = [(dt.date(2026, 3, 1) + dt.timedelta(days=n), GB) for n in range(31)]

    drawn = chart.usage_chart(days, 10 * GB, today=dt.date(2026, 3, 3))

    assert len(drawn.bars) == 3
    first, _, third = drawn.bars
    assert (first.before_height, third.before_y + third.before_height) == (0, drawn.bottom)
    assert third.day_y < third.before_y
    assert third.day_height == first.day_height
    assert drawn.cap_y is not None
    assert drawn.top < drawn.cap_y < third.day_y
    assert [tick.label for tick in drawn.ticks] == ["0 GB", "5 GB", "10 GB"]


def test_the_version_form_sets_the_rule_at_the_cap(client):
    client.force_login(make_user("product_manager"))
    source = make_capped_plan(100, "notify", prices={12: ("50.00", "0.00")})
    data = {
        "effective_from": "2026-03-09",
        "price_12_mrc": "50.00",
        "price_12_nrc": "0.00",
        "promotion_mrc_off_kind": "percent",
        "data_cap_action": "overage",
        "data_overage_block_gb": "50",
        "data_overage_block_amount": "10.00",
    }

    response = client.post(reverse("catalog:version_new", args=[source.pk]), data)

    draft = source.product.versions.get(version=2)
    assert response.status_code == 302
    assert (draft.data_cap_action, draft.data_overage_block_gb, str(draft.data_overage_block_amount)) == (
        "overage",
        50,
        "10.00",
    )
    assert draft.data_cap_gb == 100  # the label's, copied


def test_the_version_form_names_a_missing_block_price(client):
    client.force_login(make_user("product_manager"))
    source = make_capped_plan(100, "notify", prices={12: ("50.00", "0.00")})
    data = {
        "effective_from": "2026-03-09",
        "price_12_mrc": "50.00",
        "price_12_nrc": "0.00",
        "promotion_mrc_off_kind": "percent",
        "data_cap_action": "overage",
        "data_overage_block_gb": "50",
    }

    response = client.post(reverse("catalog:version_new", args=[source.pk]), data)

    assert response.status_code == 200
    assert response.context["form"].errors["data_overage_block_amount"] == ["Enter an amount."]
    assert source.product.versions.count() == 1
