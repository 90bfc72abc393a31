"""Secrets never written to logs: signing-link tokens, API tokens and session cookies are masked
in the web server's access log, in Django's own logging and in the email the console backend
prints (the default of `make run`, where signing links go out by mail).

Apps name what is secret in the text they produce (`hide()`, from their AppConfig.ready): the
contracts app its signing paths, the API its token format. The masking itself lives here."""

import logging
import re
from typing import Any

from django.core.mail.backends import console
from gunicorn import glogging

HIDDEN = "[hidden]"
# A credential after its HTTP scheme, wherever it is written ("Authorization: Bearer hdk_...").
_patterns: list[re.Pattern[str]] = [
    re.compile(r"\bBearer\s+(?P<secret>[^\s\"',;]+)"),
    re.compile(r"\bBasic\s+(?P<secret>[A-Za-z0-9+/]{8,}={0,2})"),
]
# Request and response headers that carry a credential: the access log shows none of them.
SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key"})


def hide(pattern: str) -> None:
    """Mask what the named group `secret` of `pattern` (a regular expression) matches, wherever
    it is logged or printed: `hide(r"/sign/\\d+/(?P<secret>[^/?#\\s]+)")`."""
    compiled = re.compile(pattern)
    if "secret" not in compiled.groupindex:
        raise ValueError(f"{pattern!r} names no group 'secret'.")
    if all(known.pattern != compiled.pattern for known in _patterns):
        _patterns.append(compiled)


def _masked(match: re.Match[str]) -> str:
    start, end = match.span("secret")
    whole = match.group(0)
    return whole[: start - match.start()] + HIDDEN + whole[end - match.start() :]


def mask(text: str) -> str:
    """`text` with every secret in it replaced by "[hidden]"."""
    for pattern in _patterns:
        text = pattern.sub(_masked, text)
    return text


class RedactFilter(logging.Filter):
    """A logging filter (on the handlers in settings.LOGGING) that masks secrets in each record's
    message and in its traceback text."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask(message)
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask(record.exc_text)
        return True


class GunicornLogger(glogging.Logger):
    """Gunicorn's logger (`--logger-class headend.core.redact.GunicornLogger`) writing no secret:
    a signing link's token is masked in the request line, path and referrer of the access log,
    credential headers are hidden whatever the log format asks for, and the error log is masked."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            if not any(isinstance(existing, RedactFilter) for existing in log.filters):
                log.addFilter(RedactFilter())

    def atoms(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> dict[str, Any]:
        atoms = super().atoms(resp, req, environ, request_time)
        for key, value in atoms.items():
            name = key[1:-2].lower().removeprefix("http_").replace("_", "-") if key.startswith("{") else ""
            if name in SECRET_HEADERS:
                atoms[key] = HIDDEN
            elif isinstance(value, str):
                atoms[key] = mask(value)
        return atoms


class ConsoleEmailBackend(console.EmailBackend):
    """Django's console email backend, printing each message with its secrets masked (a signing
    link reads /sign/12/[hidden]/): what reaches the console is a log. Text parts are printed
    decoded (a long line may be sent quoted-printable, which would split a token), masked."""

    def write_message(self, message: Any) -> None:
        msg = message.message()
        charset = msg.get_charset().get_output_charset() if msg.get_charset() else "utf-8"
        headers = "".join(f"{name}: {value}\n" for name, value in msg.items())
        parts = []
        for part in msg.walk():
            if part.is_multipart():
                continue
            payload = part.get_payload(decode=True)
            if part.get_content_maintype() == "text" and isinstance(payload, bytes):
                parts.append(payload.decode(part.get_content_charset() or charset, errors="replace"))
            else:
                parts.append(f"[{part.get_content_type()} attachment {part.get_filename() or ''}]".replace(" ]", "]"))
        self.stream.write(mask(headers + "\n" + "\n\n".join(parts)) + "\n")
        self.stream.write("-" * 79)
        self.stream.write("\n")
