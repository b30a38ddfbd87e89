"""Measure catalogue search at scale: latency against the raw full-text floor, and throughput.

Usage: `python -m benchmarks.search [--sizes 1000000] [--requests 300] [--reuse]`.

For each size the catalogue (cached under benchmarks/data/, as benchmarks/run.py makes it) is
imported through `import_catalogue` into a fresh SQLite database (or, with --reuse, the one a
previous run left), then:
1. latency of a realistic query mix with facets (words drawn from indexed titles, subjects
   and provider names; half with one or two facet filters; some sorted by price or credits;
   some second pages): over HTTP through gunicorn (2 sync workers, a new connection per
   request, timed at the client) for `GET /api/v1/search` and for the `/search` page, and in
   the same run the floor: the raw FTS5 query alone for the same words in process (the MATCH
   with its bm25 order and LIMIT 20, nothing else), and the whole service in process;
2. requests per second under `ab` (Apache Bench, loopback, concurrency 4) for the search
   page, a credential page and the trivial `/healthz` (the ceiling), against the same
   gunicorn. `ab` is installed with apt-get when missing (Debian's apache2-utils).
Figures go to benchmarks/results/search-*.json and a table on stdout.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import random
import re
import secrets
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from benchmarks.run import (
    DATA,
    RESULTS,
    ROOT,
    call,
    catalogue_file,
    code_version,
    free_port,
    fresh_database,
    latency_summary,
    machine,
    make_app,
    say,
    sqlite_url,
    stop,
    timed,
)

P95_MAX_MS = 100.0
FLOOR_RATIO_MAX = 3.0
CEILING_SHARE_MIN = 0.5
WORKERS = 2
CONCURRENCY = 4
WORD = re.compile(r"[A-Za-z]{4,}")
COMMON = {"with", "from", "that", "this", "practice", "professional", "learners", "level"}


# --- the database ----------------------------------------------------------------------------


def prepared_database(n: int, seed: int, reuse: bool) -> tuple[Path, dict[str, Any]]:
    """A database holding the n-credential catalogue, imported (and indexed) by the registry."""
    path = DATA / f"search-{n}.sqlite3"
    if reuse and path.exists():
        say(f"{n}: reusing {path.name}")
        return path, {"reused": True}
    source, generated = catalogue_file(n, seed)
    say(f"{n}: loading {source.name}")
    with timed() as load:
        document = json.loads(source.read_text())
    fresh_database(path)
    app = make_app(path)
    from registry.db import db
    from registry.interop.catalogue import import_catalogue

    say(f"{n}: importing through import_catalogue (indexing included)")
    with app.app_context(), timed() as t:
        import_catalogue(db.session, document, actor=None)
        db.session.commit()
        db.engine.dispose()
    del document
    return path, {
        "generated_s": generated,
        "json_load_s": round(load[0], 1),
        "import_s": round(t[0], 1),
    }


def sample_rows(path: Path, count: int, seed: int) -> list[sqlite3.Row]:
    conn = sqlite3.connect(path)
    conn.row_factory = sqlite3.Row
    try:
        total = conn.execute("SELECT max(version_id) FROM search_entries").fetchone()[0] or 0
        rng = random.Random(seed)
        picks = sorted(rng.randrange(1, total + 1) for _ in range(count * 2))
        rows = []
        for low in picks:
            row = conn.execute(
                "SELECT credential_id, title, provider_name, subject_text, type, level,"
                " participation_form, credits_band, price_band FROM search_entries"
                " WHERE version_id >= ? ORDER BY version_id LIMIT 1",
                (low,),
            ).fetchone()
            if row is not None:
                rows.append(row)
        return rows[:count]
    finally:
        conn.close()


def query_mix(path: Path, count: int, seed: int) -> list[dict[str, Any]]:
    """Searches a learner might make: words from real titles, subjects and providers, facets."""
    rng = random.Random(seed)
    rows = sample_rows(path, count, seed)
    mix = []
    for row in rows:
        title = [w.lower() for w in WORD.findall(row["title"]) if w.lower() not in COMMON]
        subject = [w.lower() for w in WORD.findall(row["subject_text"]) if w.lower() not in COMMON]
        kind = rng.random()
        if kind < 0.45 and title:
            q = rng.choice(title)
        elif kind < 0.7 and len(title) >= 2:
            q = " ".join(rng.sample(title, 2))
        elif kind < 0.9 and subject:
            q = rng.choice(subject)
        else:
            q = row["provider_name"].split()[0].lower()
        params: dict[str, Any] = {"q": q}
        if rng.random() < 0.5:
            facets = [
                ("level", str(row["level"]) if row["level"] else "none"),
                ("participation", row["participation_form"] or "none"),
                ("credits", row["credits_band"]),
                ("price", row["price_band"]),
                ("type", row["type"]),
            ]
            for name, value in rng.sample(facets, rng.choice((1, 1, 2))):
                params[name] = value
        sort = rng.random()
        if sort < 0.1:
            params["sort"] = "price"
        elif sort < 0.2:
            params["sort"] = "credits"
        if rng.random() < 0.1:
            params["page"] = 2
        mix.append(params)
    return mix


# --- in process: the floor and the service ---------------------------------------------------


def measure_in_process(
    path: Path, mix: list[dict[str, Any]], warmup: list[dict[str, Any]]
) -> dict[str, Any]:
    """The raw FTS5 query for each search's words (the floor), and the whole service."""
    from registry.db import db
    from registry.search.backends import SqliteBackend
    from registry.search.facets import cached_columns
    from registry.search.query import parse
    from registry.search.services import params_from, search_credentials

    app = make_app(path)
    backend = SqliteBackend()
    result: dict[str, Any] = {}
    with app.app_context():
        session = db.session
        with timed() as load:
            cached_columns(session)
        result["facet_columns_load_s"] = round(load[0], 2)
        connection = session.connection()
        floor, service, matches = [], [], []
        for i, params in enumerate(warmup + mix):
            terms = parse(params["q"])
            with timed() as t:
                backend.top(connection, terms, 20)
            checked = params_from(params)
            with timed() as s:
                found = search_credentials(
                    session,
                    checked.q,
                    filters=checked.filters,
                    sort=checked.sort,
                    page=checked.page,
                    per_page=checked.per_page,
                )
            if i >= len(warmup):
                floor.append(t[0])
                service.append(s[0])
                matches.append(found.total)
        session.rollback()
        db.engine.dispose()
    result["floor"] = latency_summary(floor, len(mix))
    result["service"] = latency_summary(service, len(mix))
    ordered = sorted(matches)
    result["results_per_search"] = {
        "median": ordered[len(ordered) // 2],
        "max": ordered[-1],
        "zero": sum(1 for m in matches if m == 0),
    }
    return result


# --- over HTTP ---------------------------------------------------------------------------------


def start_gunicorn(path: Path, log: Path) -> tuple[subprocess.Popen, int]:
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": sqlite_url(path),
        "REGISTRY_ENV": "production",
        "SECRET_KEY": secrets.token_hex(32),
    }
    command = [
        str(Path(sys.executable).with_name("gunicorn")),
        "--workers", str(WORKERS),
        "--bind", f"127.0.0.1:{port}",
        "--timeout", "3600",  # a worker's first credential page may load the whole catalogue
        "wsgi:app",
    ]  # fmt: skip
    with log.open("w") as out:
        server = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=out, stderr=out, start_new_session=True
        )
    ready = time.monotonic() + 120
    while True:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
            return server, port
        if server.poll() is not None or time.monotonic() > ready:
            stop(server)
            raise RuntimeError(f"gunicorn did not start; see {log}")
        time.sleep(0.2)


def workers_of(master: int) -> list[int]:
    with contextlib.suppress(OSError):
        return [int(p) for p in Path(f"/proc/{master}/task/{master}/children").read_text().split()]
    return []


def rss_mb(pid: int) -> float | None:
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    return None


def timed_gets(port: int, urls: list[str]) -> tuple[list[float], int]:
    seconds, failures = [], 0
    for url in urls:
        with timed() as t:
            status, _ = call(port, "GET", url)
        seconds.append(t[0])
        failures += status != 200
    return seconds, failures


def ensure_ab() -> str:
    found = shutil.which("ab")
    if found:
        return found
    say("installing apache2-utils for ab")
    subprocess.run(["apt-get", "install", "-y", "apache2-utils"], check=True, capture_output=True)
    found = shutil.which("ab")
    if not found:
        raise RuntimeError("ab is not available")
    return found


def apache_bench(ab: str, port: int, url: str, seconds: int) -> dict[str, Any]:
    """Requests per second for one URL over `seconds`, CONCURRENCY at a time."""
    out = subprocess.run(
        [ab, "-q", "-t", str(seconds), "-n", "1000000", "-c", str(CONCURRENCY),
         f"http://127.0.0.1:{port}{url}"],
        capture_output=True, text=True, check=False,
    ).stdout  # fmt: skip

    def number(label: str) -> float | None:
        match = re.search(rf"{label}:\s+([\d.]+)", out)
        return float(match.group(1)) if match else None

    return {
        "url": url,
        "requests_per_s": number("Requests per second"),
        "complete": number("Complete requests"),
        "failed": number("Failed requests"),
        "non_2xx": number("Non-2xx responses") or 0,
        "mean_ms": number(r"Time per request"),
    }


def measure_http(
    path: Path, mix: list[dict[str, Any]], warmup: list[dict[str, Any]], ab_seconds: int, log: Path
) -> dict[str, Any]:
    """Latency of the mix (API, then page) and throughput under ab, through gunicorn.

    Answers are remembered per index revision, so a search repeated within the mix is
    answered from memory, as a popular search would be; `repeats` says how many there are.
    """
    server, port = start_gunicorn(path, log)
    result: dict[str, Any] = {"workers": WORKERS, "worker_class": "sync"}
    try:
        credential = sample_rows(path, 1, 99)[0]["credential_id"]
        page_url = "/search?" + urlencode({"q": "management", "level": "6"})
        # Each worker reads the facet columns on its first search, and the credential page
        # may load the stacking catalogue: warm every worker up before timing.
        with timed() as first:
            for _ in range(WORKERS * 3):
                call(port, "GET", "/api/v1/search?q=warmup")
        result["first_searches_s"] = round(first[0], 2)
        with timed() as first:
            for _ in range(WORKERS * 3):
                call(port, "GET", f"/credentials/{credential}")
                call(port, "GET", page_url)
        result["first_pages_s"] = round(first[0], 2)
        api = ["/api/v1/search?" + urlencode(p) for p in mix]
        pages = ["/search?" + urlencode(p) for p in mix]
        timed_gets(port, ["/api/v1/search?" + urlencode(p) for p in warmup])
        timed_gets(port, ["/search?" + urlencode(p) for p in warmup])
        result["repeats"] = len(api) - len(set(api))
        seconds, failures = timed_gets(port, api)
        result["api"] = {**latency_summary(seconds, len(api)), "failures": failures}
        seconds, failures = timed_gets(port, pages)
        result["page"] = {**latency_summary(seconds, len(pages)), "failures": failures}
        ab = ensure_ab()
        result["load"] = {
            "concurrency": CONCURRENCY,
            "seconds_each": ab_seconds,
            "healthz": apache_bench(ab, port, "/healthz", ab_seconds),
            "search_page": apache_bench(ab, port, page_url, ab_seconds),
            "credential_page": apache_bench(ab, port, f"/credentials/{credential}", ab_seconds),
        }
        result["worker_peak_mb"] = [rss_mb(pid) for pid in workers_of(server.pid)]
        return result
    finally:
        stop(server)


# --- report ------------------------------------------------------------------------------------


def _verdict(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def verdicts(size: dict[str, Any]) -> list[str]:
    lines = []
    http = size.get("http", {})
    floor = size.get("in_process", {}).get("floor", {})
    for name in ("api", "page"):
        p95 = http.get(name, {}).get("p95_ms")
        if p95 is None:
            continue
        lines.append(
            f"search p95 over HTTP ({name}): {p95:.1f} ms (target <= {P95_MAX_MS:g} ms) "
            + _verdict(p95 <= P95_MAX_MS)
        )
        if floor.get("p95_ms"):
            ratio = p95 / floor["p95_ms"]
            lines.append(
                f"  vs the raw FTS5 floor p95 {floor['p95_ms']:.1f} ms: {ratio:.1f}x "
                f"(target <= {FLOOR_RATIO_MAX:g}x) " + _verdict(ratio <= FLOOR_RATIO_MAX)
            )
    load = http.get("load", {})
    ceiling = load.get("healthz", {}).get("requests_per_s")
    for name in ("search_page", "credential_page"):
        rps = load.get(name, {}).get("requests_per_s")
        if rps and ceiling:
            share = rps / ceiling
            lines.append(
                f"{name}: {rps:.0f} req/s vs /healthz {ceiling:.0f} req/s: {share:.0%} "
                f"(target >= {CEILING_SHARE_MIN:.0%}) " + _verdict(share >= CEILING_SHARE_MIN)
            )
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000000")
    parser.add_argument("--requests", type=int, default=300, help="timed searches per measure")
    parser.add_argument("--warmup", type=int, default=30)
    parser.add_argument("--ab-seconds", type=int, default=15)
    parser.add_argument("--reuse", action="store_true", help="reuse the database of a past run")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M%S")
    out = RESULTS / f"search-{stamp}.json"
    report: dict[str, Any] = {
        "started": stamp,
        "machine": machine(),
        "code": code_version(),
        "load_average_before": os.getloadavg(),
        "sizes": {},
    }
    for n in (int(s) for s in args.sizes.split(",")):
        size: dict[str, Any] = {}
        report["sizes"][str(n)] = size
        path, size["database"] = prepared_database(n, args.seed, args.reuse)
        mix = query_mix(path, args.requests + args.warmup, args.seed)
        size["queries"] = {"count": args.requests, "examples": mix[:8]}
        say(f"{n}: in process (floor and service)")
        size["in_process"] = measure_in_process(path, mix[args.warmup :], mix[: args.warmup])
        say(f"{n}: over HTTP through gunicorn ({WORKERS} workers) and under ab")
        size["http"] = measure_http(
            path,
            mix[args.warmup :],
            mix[: args.warmup],
            args.ab_seconds,
            DATA / f"gunicorn-search-{n}.log",
        )
        size["load_average_after"] = os.getloadavg()
        out.write_text(json.dumps(report, indent=2, default=str))
        for line in verdicts(size):
            print(f"{n:,}: {line}")
    print(
        json.dumps(
            {n: {k: v for k, v in s.items() if k != "queries"} for n, s in report["sizes"].items()},
            indent=2,
            default=str,
        )
    )
    print(f"results: {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
