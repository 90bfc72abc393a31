"""Review of issue 16, the support side: the case lists on the account and service pages read a
fixed number of queries however many cases there are, and no NUL from a search reaches a query
(PostgreSQL refuses one in text)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from headend.catalog.services import TaskSpec
from headend.support import cases
from tests.factories import make_account, make_live_service, make_product, make_user
from tests.network.test_review_hardening import watching_for_nul

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent():
    return make_user("support")


@pytest.fixture
def service():
    return make_live_service(make_account(), make_product(tasks=[TaskSpec("Install")]))


def open_cases(service, agent, count):
    for number in range(count):
        cases.case_open(
            account=service.account, service=service, type="slow", channel="phone", subject=f"Slow {number}", by=agent
        )


def queries(client, url) -> int:
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200
    return len(context.captured_queries)


@pytest.mark.parametrize("page", ["crm:account_detail", "inventory:service_detail"])
def test_the_case_list_on_the_account_and_service_pages_reads_no_query_per_case(client, agent, service, page):
    client.force_login(agent)
    url = reverse(page, args=[service.account_id if page == "crm:account_detail" else service.pk])
    open_cases(service, agent, 1)
    one = queries(client, url)

    open_cases(service, agent, 4)

    assert queries(client, url) == one


def test_a_nul_in_the_account_search_of_a_new_case_never_reaches_the_database(client, agent, service):
    client.force_login(agent)

    with watching_for_nul() as watch:
        response = client.get(reverse("support:case_create"), {"q": f"{service.account.name[:4]}\x00"})

    assert response.status_code == 200
    assert watch.found == []
