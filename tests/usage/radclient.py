"""Accounting-Requests sent as a NAS sends them, with Debian's radclient (freeradius-utils), to the
real FreeRADIUS of tests/radius_fixtures.py, whose rlm_sql writes radacct."""

import datetime as dt
import subprocess
import tempfile
from pathlib import Path
from typing import Any

COUNTER_32 = 2**32


def account(
    server: Any,
    status: str,
    *,
    username: str,
    session: str,
    at: dt.datetime,
    octets_in: int = 0,
    octets_out: int = 0,
    started: dt.datetime | None = None,
    framed_ip: str = "100.64.0.17",
) -> str:
    """Send one Accounting-Request (Start, Interim-Update or Stop) for a session on NAS 127.0.0.1,
    its Event-Timestamp `at`; totals past 4 GB go as Octets plus Gigawords, as a NAS sends them.
    Returns radclient's output; fails unless FreeRADIUS answered with an Accounting-Response."""
    attributes = [
        f"Acct-Status-Type = {status}",
        f'User-Name = "{username}"',
        f'Acct-Session-Id = "{session}"',
        "NAS-IP-Address = 127.0.0.1",
        f"Framed-IP-Address = {framed_ip}",
        f"Event-Timestamp = {int(at.timestamp())}",
    ]
    if status != "Start":
        attributes += [
            f"Acct-Input-Octets = {octets_in % COUNTER_32}",
            f"Acct-Input-Gigawords = {octets_in // COUNTER_32}",
            f"Acct-Output-Octets = {octets_out % COUNTER_32}",
            f"Acct-Output-Gigawords = {octets_out // COUNTER_32}",
            f"Acct-Session-Time = {int((at - (started or at)).total_seconds())}",
        ]
    with tempfile.NamedTemporaryFile("w", suffix=".radclient", delete=False) as handle:
        handle.write("\n".join(attributes) + "\n")
    try:
        done = subprocess.run(
            [
                "radclient",
                "-d",
                str(server.raddb),
                "-f",
                handle.name,
                "-t",
                "3",
                "-r",
                "2",
                f"127.0.0.1:{server.acct_port}",
                "acct",
                server.secret,
            ],
            capture_output=True,
            text=True,
            check=False,
            timeout=30,
        )
    finally:
        Path(handle.name).unlink()
    output = done.stdout + done.stderr
    assert done.returncode == 0, f"radclient {status}: {output}\n{server.log()}"
    assert "Accounting-Response" in output, f"radclient {status}: {output}\n{server.log()}"
    return output
