import pytest

from tests.api.client import TMFClient
from tests.factories import make_user


@pytest.fixture
def sales_api(client, db):
    """The API as a salesperson (may create customers, sites and quotes)."""
    return TMFClient.for_user(client, make_user("sales"))


@pytest.fixture
def fulfil_api(client, db):
    """The API as a provisioning technician (may complete tasks; may not sell)."""
    return TMFClient.for_user(client, make_user("provisioning"))


@pytest.fixture
def support_api(client, db):
    """The API as support staff: reads everything, sells and fulfils nothing."""
    return TMFClient.for_user(client, make_user("support"))


@pytest.fixture
def anonymous_api(client):
    return TMFClient(client)
