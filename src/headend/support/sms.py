"""Text messages to customers (outage notices): a port, and the adapter settings.HEADEND_SMS_BACKEND
names (a dotted path to a class whose instances `send(to=, body=)`). The default only writes each
message to the log; a provider plugs in its SMS gateway (Twilio, Vonage, an SMPP relay) with a
class of its own that raises SmsError when the message was not accepted."""

import functools
import logging
from typing import Protocol

import phonenumbers
from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)

# What libphonenumber says of a number a text can reach (North American numbers do not say
# which they are, so they count).
TEXTABLE = frozenset(
    {
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    }
)


class SmsError(Exception):
    """The gateway did not take the message (counted as a failed attempt, tried again later)."""


class SmsBackend(Protocol):
    def send(self, *, to: str, body: str) -> None:
        """Send `body` to the E.164 number `to`; raise SmsError if it was not accepted."""


class LoggingSms:
    """The default: each message written to the log (nothing leaves the machine)."""

    def send(self, *, to: str, body: str) -> None:
        logger.info("SMS to %s: %s", to, body)


def backend() -> SmsBackend:
    """The configured adapter."""
    return _backend_class(settings.HEADEND_SMS_BACKEND)()


@functools.cache
def _backend_class(path: str) -> type[SmsBackend]:
    return import_string(path)


@functools.lru_cache(maxsize=65536)
def textable(number: str) -> bool:
    """Whether an E.164 number can take a text message (a mobile, or a number that may be one)."""
    if not number:
        return False
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.is_valid_number(parsed) and phonenumbers.number_type(parsed) in TEXTABLE
