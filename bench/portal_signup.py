"""The portal's sign-up path (issue 15): the server time of each step of 200 scripted sign-ups
(median and p95 of each page's GET and POST, timed by the client over loopback) against the
gunicorn `make run` serves the app with, beside as many requests to a bare Django view
(`/healthz`: one `SELECT 1`, a small JSON answer, through the same middleware) in the same run.

Each sign-up is a new visitor (its own httpx client, so its own session and CSRF cookie, the
token read from each form) at a unique address in Machias, inside the demo's fiber coverage,
ordering Fiber 300 on 12 months: address, plans, add-ons (none), the customer, terms, the
summary confirmed, and the confirmation page. The demo has no payment gateway and Fiber 300 is
zero touch, so there is no payment or installation-visit step, as in `make run`.

The server is started as scripts/run starts it (bench/server.py), on SQLite in a fresh temporary
HEADEND_VAR_DIR (migrate, collectstatic, load_demo, then gunicorn with its workers, threads and
access log, the relay on commit off as there), without the task worker and relay loop: the
sign-ups complete (account, login, accepted quote, order) and their zero-touch tasks stay queued.
Two sign-ups before the timed ones warm each worker's templates and caches. Every process started is in its
own session and stopped at the end, also on failure."""

import html
import os
import re
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from bench import server, size

SIGNUPS = size(200)  # 20 in a small run (CI)
WARMUP = 2  # untimed sign-ups first: each worker's first pages compile templates and fill caches
TOWN = ("Machias", "ME", "04654", "44.715100", "-67.461400")  # web/demo/network.py: a covered town centre
STREETS = ("Elm St", "Court St", "Center St", "Main St", "Water St")
PLAN, TERM = "Fiber 300", 12  # zero touch, sold to residents in the demo's coverage
PASSWORD = "wide-harbor-47"
BARE = server.READY  # /healthz
# (step, its page, where its POST leads); the confirmation page after them is a GET alone.
STEPS = [
    ("address", "/portal/signup/", "/portal/signup/plans/"),
    ("plans", "/portal/signup/plans/", "/portal/signup/add-ons/"),
    ("add-ons", "/portal/signup/add-ons/", "/portal/signup/you/"),
    ("contact", "/portal/signup/you/", "/portal/signup/terms/"),
    ("terms", "/portal/signup/terms/", "/portal/signup/confirm/"),
    ("confirm", "/portal/signup/confirm/", "/portal/signup/done/"),
]
DONE = "/portal/signup/done/"
REQUESTS_PER_SIGNUP = 2 * len(STEPS) + 1
_CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
_FIGURES = re.compile(r'name="figures" value="([^"]*)"')


# One visitor signing up


def _token(page: httpx.Response) -> str:
    found = _CSRF.search(page.text)
    if page.status_code != 200 or not found:
        raise AssertionError(f"{page.request.url.path}: {page.status_code}, no form\n{page.text[:2000]}")
    return found.group(1)


def _plan_choice(page: str) -> str:
    """The radio value ("<version id>:<term>") of PLAN on TERM on the plans page."""
    for card in page.split('<fieldset class="card plan-card">')[1:]:
        if f'<span class="plan-name">{PLAN}</span>' in card:
            found = re.search(rf'value="(\d+:{TERM})"', card)
            if found:
                return found.group(1)
    raise AssertionError(f"{PLAN} on {TERM} months is not offered at the address\n{page[:2000]}")


def _form(step: str, n: int, page: str) -> dict[str, str]:
    """What a visitor types into the step's form: sign-up `n`'s own address and email."""
    city, state, postal_code, lat, lng = TOWN
    if step == "address":
        return {
            "kind": "residential",
            "line1": f"{100 + n // len(STREETS)} {STREETS[n % len(STREETS)]}",
            "line2": "",
            "city": city,
            "state": state,
            "postal_code": postal_code,
            "latitude": lat,
            "longitude": lng,
        }
    if step == "plans":
        return {"choice": _plan_choice(page)}
    if step == "contact":
        return {
            "first_name": "Bench",
            "last_name": f"Customer {n}",
            "email": f"signup-{n}@bench.example",
            "phone": "",
            "password": PASSWORD,
        }
    if step == "terms":
        return {"accepted_by_name": f"Bench Customer {n}", "accept": "on"}
    if step == "confirm":  # the button, with the figures the summary showed
        return {"figures": html.unescape(_FIGURES.search(page).group(1))}
    return {}  # add-ons: none ticked


def _signup(url: str, n: int, timings: dict[str, list[float]] | None) -> None:
    """Walk sign-up `n` through every step as a browser would, timing each request into `timings`."""

    def timed(name: str, send: Callable[..., httpx.Response], path: str, **kwargs: Any) -> httpx.Response:
        start = time.perf_counter()
        response = send(path, **kwargs)
        if timings is not None:
            timings.setdefault(name, []).append(time.perf_counter() - start)
        return response

    with httpx.Client(base_url=url, timeout=60) as client:
        for step, path, following in STEPS:
            page = timed(f"{step} GET", client.get, path)
            data = {"csrfmiddlewaretoken": _token(page), **_form(step, n, page.text)}
            posted = timed(f"{step} POST", client.post, path, data=data)
            if posted.status_code != 302 or posted.headers.get("location") != following:
                raise AssertionError(f"sign-up {n}, {step}: {posted.status_code}\n{posted.text[:3000]}")
        done = timed("done GET", client.get, DONE)
        if done.status_code != 200 or "Thank you, Bench" not in done.text:
            raise AssertionError(f"sign-up {n}: no confirmation ({done.status_code})\n{done.text[:2000]}")


def _bare(url: str, count: int, timings: list[float]) -> None:
    """`count` requests to the bare view, from one new client as a sign-up's are."""
    with httpx.Client(base_url=url, timeout=60) as client:
        for _ in range(count):
            start = time.perf_counter()
            response = client.get(BARE)
            timings.append(time.perf_counter() - start)
            assert response.status_code == 200, response.status_code


# The figures


def _p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[18]


def _created(database: Path) -> tuple[int, int, int]:
    """The bench's sign-ups found in the database: portal logins, accounts with an active
    customer's order in fulfilment from an accepted quote, and those orders."""
    with sqlite3.connect(database, timeout=30) as db:
        (logins,) = db.execute("SELECT count(*) FROM portal_portallogin WHERE email LIKE '%@bench.example'").fetchone()
        accounts, orders = db.execute(
            "SELECT count(DISTINCT a.id), count(o.id) FROM portal_portallogin l"
            " JOIN crm_account a ON a.id = l.account_id"
            " JOIN quoting_quote q ON q.account_id = a.id AND q.status = 'accepted'"
            " JOIN orders_order o ON o.quote_id = q.id"
            " WHERE l.email LIKE '%@bench.example'"
        ).fetchone()
    return logins, accounts, orders


def _print(timings: dict[str, list[float]], bare: list[float], totals: list[float], seconds: dict[str, float]) -> None:
    base = statistics.median(bare)
    print(
        f"\nBenchmark: portal sign-up, {SIGNUPS:,} sign-ups one after another against gunicorn as `make run` serves"
        f" it (SQLite, 2 workers x 4 threads, {os.cpu_count()} CPUs), timed by the client over loopback"
    )
    print(f"  set-up (migrate, load_demo, collectstatic) {seconds['setup']:.1f} s; the sign-ups {seconds['run']:.1f} s")
    print(f"  {'request':<16} {'median ms':>10} {'p95 ms':>9} {'x bare median':>14}")
    for name, values in timings.items():
        median = statistics.median(values)
        print(f"  {name:<16} {median * 1000:10.1f} {_p95(values) * 1000:9.1f} {median / base:13.1f}x")
    for step, _, _ in STEPS:
        both = [get + post for get, post in zip(timings[f"{step} GET"], timings[f"{step} POST"], strict=True)]
        median = statistics.median(both)
        print(f"  {step + ' (both)':<16} {median * 1000:10.1f} {_p95(both) * 1000:9.1f} {median / base:13.1f}x")
    median = statistics.median(totals)
    print(
        f"  {'whole sign-up':<16} {median * 1000:10.1f} {_p95(totals) * 1000:9.1f} {median / base:13.1f}x"
        f"  ({REQUESTS_PER_SIGNUP} requests)"
    )
    print(
        f"  {'baseline ' + BARE:<16} {base * 1000:10.1f} {_p95(bare) * 1000:9.1f} {1:13.1f}x  ({len(bare):,} requests)"
    )


def main() -> None:
    var_dir = Path(tempfile.mkdtemp(prefix="headend-bench-signup-"))
    log = var_dir / "server.log"
    try:
        port = server.free_port()
        # every sign-up of the benchmark comes from 127.0.0.1: the per-address limit would
        # refuse all but the first few (it is measured by tests/portal, not here)
        env = server.environment(var_dir, HEADEND_SIGNUPS_PER_HOUR="1000000")
        start = time.perf_counter()
        server.prepare(env, log)
        seconds = {"setup": time.perf_counter() - start}
        timings: dict[str, list[float]] = {}
        bare: list[float] = []
        with server.gunicorn(env, port, log) as (url, _):
            for n in range(WARMUP):
                _signup(url, SIGNUPS + n, None)
            start = time.perf_counter()
            for n in range(SIGNUPS):
                _signup(url, n, timings)
                _bare(url, REQUESTS_PER_SIGNUP, bare)  # interleaved: the baseline sees the same server
            seconds["run"] = time.perf_counter() - start
        logins, accounts, orders = _created(var_dir / "headend.sqlite3")
        expected = SIGNUPS + WARMUP
        assert (logins, accounts, orders) == (expected, expected, expected), (logins, accounts, orders)
        totals = [sum(values[i] for values in timings.values()) for i in range(SIGNUPS)]
        _print(timings, bare, totals, seconds)
        print(
            f"  created: {accounts:,} accounts ({SIGNUPS:,} timed + {WARMUP} warm-up), each with a portal login"
            " and an order from its accepted quote"
        )
    except BaseException:
        if log.exists():
            print(
                f"portal sign-up benchmark failed; the server's log ends:\n{log.read_text()[-4000:]}", file=sys.stderr
            )
        raise
    finally:
        shutil.rmtree(var_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
