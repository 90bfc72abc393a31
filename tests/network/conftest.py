"""The outage tests' network, built once per module (tests/network/outage_fixtures.py)."""

from tests.network.outage_fixtures import shared_network  # noqa: F401
