"""Fixtures for the gateway side of payments: a Stripe stand-in on loopback and the settings
that point the Stripe adapter at it."""

from collections.abc import Iterator

import pytest

from tests.payments.stripe_standin import StripeStandin

WEBHOOK_SECRET = "whsec_standin_secret"


@pytest.fixture
def stripe_standin() -> Iterator[StripeStandin]:
    """A running Stripe stand-in (its counters: `intents_per_key`, `requests`, ...)."""
    standin = StripeStandin().start()
    try:
        yield standin
    finally:
        standin.stop()


@pytest.fixture
def gateway_settings(settings, stripe_standin):
    """The Stripe adapter configured against the stand-in, loopback allowed for it."""
    settings.HEADEND_PAYMENT_GATEWAY = "headend.payments.stripe_gateway.StripeGateway"
    settings.HEADEND_STRIPE_API_KEY = "sk_test_standin"
    settings.HEADEND_STRIPE_API_BASE = stripe_standin.url
    settings.HEADEND_STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.HEADEND_OUTBOUND_ALLOW = ["127.0.0.1"]
    return settings
