"""Measure catalogue import, wallet evaluation and a serving worker's memory at scale.

Usage: `python -m benchmarks.run [--sizes 10000,100000,1000000] [--wallets 200] [--parts ...]`.

For each size the script generates a catalogue (cached under benchmarks/data/) and measures:
1. import throughput through `import_catalogue` into a freshly migrated SQLite database, and in
   the same run the floor: a raw `sqlite3.executemany` of exactly the rows the import wrote,
   into another freshly migrated database with the engine's pragmas;
2. evaluation of realistic 30-entry wallets against every qualification (`"limit": 10`):
   in process through `registry.stacking.evaluate` on the catalogue loaded from the database,
   and over HTTP through one gunicorn worker (`POST /api/v1/evaluate`);
3. the peak resident memory (VmHWM) of that worker after the evaluations.
It prints a table and the issue's target lines, and writes everything as JSON to
benchmarks/results/.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import gc
import http.client
import json
import os
import platform
import secrets
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

from benchmarks.generate import AS_OF, WalletSource, wallet, write_catalogue

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "benchmarks" / "data"
RESULTS = ROOT / "benchmarks" / "results"
LIMIT = 10
PARTS = ("import", "prepare", "evaluate", "http")
PREPARE_COSTS = ("credits", "count", "price")
# The targets.
IMPORT_RATIO_MAX = 3.0
P95_IN_PROCESS_MAX_MS = 100.0
P95_HTTP_MAX_MS = 150.0
P95_GROWTH_MAX = 2.0
WORKER_PEAK_MAX_MB = 1024.0
TARGET_SIZE = 1_000_000
BASE_SIZE = 10_000
# SQLite pragmas of registry.db's engine, for the floor's raw connection.
PRAGMAS = (
    "PRAGMA foreign_keys=ON",
    "PRAGMA journal_mode=WAL",
    "PRAGMA busy_timeout=5000",
    "PRAGMA synchronous=NORMAL",
)

_started = time.perf_counter()


def say(message: str) -> None:
    """Progress on stderr with the elapsed time, so a nohup log shows where a run is."""
    print(f"[{time.perf_counter() - _started:8.1f}s] {message}", file=sys.stderr, flush=True)


@contextlib.contextmanager
def timed() -> Iterator[list[float]]:
    """`with timed() as t:` leaves the block's wall time in seconds in t[0]."""
    box = [0.0]
    start = time.perf_counter()
    try:
        yield box
    finally:
        box[0] = time.perf_counter() - start


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * q // 100))  # ceil without floats
    return ordered[int(rank) - 1]


def latency_summary(seconds: list[float], planned: int) -> dict[str, Any]:
    ms = [s * 1000 for s in seconds]
    return {
        "n": len(ms),
        "stopped_early": len(ms) < planned,
        "p50_ms": round(percentile(ms, 50), 2),
        "p95_ms": round(percentile(ms, 95), 2),
        "max_ms": round(max(ms), 2),
        "mean_ms": round(sum(ms) / len(ms), 2),
    }


# --- Databases -------------------------------------------------------------------------------


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def fresh_database(path: Path) -> Path:
    """A new SQLite file at `path` with the schema from `alembic upgrade head`."""
    from alembic import command

    from registry.cli import alembic_config

    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    command.upgrade(alembic_config(sqlite_url(path)), "head")
    return path


def connect_raw(path: Path) -> sqlite3.Connection:
    """A plain sqlite3 connection with the engine's pragmas, in manual transaction mode."""
    conn = sqlite3.connect(path, isolation_level=None)
    for pragma in PRAGMAS:
        conn.execute(pragma)
    return conn


def user_tables(conn: sqlite3.Connection) -> list[str]:
    """Ordinary tables; the FTS5 search table and its shadow tables are filled by triggers."""
    rows = conn.execute(
        "SELECT name FROM pragma_table_list WHERE schema = 'main' AND type = 'table' "
        "AND name NOT LIKE 'sqlite_%' AND name != 'alembic_version' ORDER BY name"
    )
    return [name for (name,) in rows]


def added_rows(imported: Path, empty: Path) -> dict[str, tuple[list[str], list[tuple]]]:
    """Per table, the columns and the rows the import added (rows a fresh schema lacks).

    A row whose primary key the freshly migrated database already holds (a seeded row the
    import updated) is left out: the floor only inserts.
    """
    src, base = connect_raw(imported), connect_raw(empty)
    try:
        out: dict[str, tuple[list[str], list[tuple]]] = {}
        for table in user_tables(src):
            info = src.execute(f'PRAGMA table_info("{table}")').fetchall()
            columns = [row[1] for row in info]
            key = [row[1] for row in sorted(info, key=lambda r: r[5]) if row[5]] or columns
            key_at = [columns.index(k) for k in key]
            quoted = ", ".join(f'"{c}"' for c in columns)
            seeded = {
                tuple(row[i] for i in key_at)
                for row in base.execute(f'SELECT {quoted} FROM "{table}"')
            }
            rows = [
                row
                for row in src.execute(f'SELECT {quoted} FROM "{table}" ORDER BY rowid')
                if tuple(row[i] for i in key_at) not in seeded
            ]
            if rows:
                out[table] = (columns, rows)
        return out
    finally:
        src.close()
        base.close()


def insert_floor(path: Path, tables: dict[str, tuple[list[str], list[tuple]]]) -> float:
    """Seconds to insert the rows with executemany and commit, foreign keys checked at commit.

    Credentials and their versions point at each other, so the checks are deferred to the
    commit (`defer_foreign_keys`) instead of inserting and then updating the pointers.
    """
    conn = connect_raw(path)
    statements = []
    for table, (columns, rows) in tables.items():
        names = ", ".join(f'"{c}"' for c in columns)
        marks = ", ".join("?" * len(columns))
        statements.append((f'INSERT INTO "{table}" ({names}) VALUES ({marks})', rows))
    try:
        with timed() as t:
            conn.execute("BEGIN")
            conn.execute("PRAGMA defer_foreign_keys=ON")
            for statement, rows in statements:
                conn.executemany(statement, rows)
            conn.execute("COMMIT")
        return t[0]
    finally:
        conn.close()


def table_counts(path: Path) -> dict[str, int]:
    conn = connect_raw(path)
    try:
        return {
            t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in user_tables(conn)
        }
    finally:
        conn.close()


# --- The measurements ------------------------------------------------------------------------


def catalogue_file(n: int, seed: int) -> tuple[Path, float | None]:
    """The cached catalogue file for (n, seed), generated when missing (with its time)."""
    path = DATA / f"catalogue-{n}-seed{seed}.json"
    if path.exists():
        return path, None
    say(f"generating {n} credentials -> {path.name}")
    with timed() as t:
        write_catalogue(n, path, seed)
    return path, t[0]


def make_app(path: Path) -> Any:
    from registry import create_app

    return create_app({"DATABASE_URL": sqlite_url(path), "TESTING": False})


def measure_import(document: dict, path: Path) -> dict[str, Any]:
    """Import the document through the registry's service into a fresh database."""
    from registry.db import db
    from registry.interop.catalogue import import_catalogue

    fresh_database(path)
    app = make_app(path)
    with app.app_context():
        session = db.session
        gc.collect()
        with timed() as t:
            report = import_catalogue(session, document, actor=None)
            session.commit()
        db.engine.dispose()
    return {"seconds": round(t[0], 3), "report": report.counts()}


def measure_floor(imported: Path, path: Path) -> dict[str, Any]:
    """The raw executemany of the same rows into a second fresh database."""
    fresh_database(path)
    tables = added_rows(imported, path)
    per_table = {table: len(rows) for table, (_, rows) in tables.items()}
    gc.collect()
    seconds = insert_floor(path, tables)
    del tables
    return {
        "seconds": round(seconds, 3),
        "rows": sum(per_table.values()),
        "rows_per_table": per_table,
        "same_row_counts": table_counts(path) == table_counts(imported),
    }


def make_requests(document: dict, count: int, seed: int) -> list[dict[str, Any]]:
    source = WalletSource(document)
    return [
        {"wallet": wallet(source, seed * 1_000_003 + i), "as_of": AS_OF.isoformat(), "limit": LIMIT}
        for i in range(count)
    ]


def answer_stats(answers: list[dict]) -> dict[str, float]:
    n = len(answers)
    return {
        "completed_mean": round(sum(len(a["completed"]) for a in answers) / n, 2),
        "in_progress_mean": round(sum(len(a["in_progress"]) for a in answers) / n, 2),
        "unreachable_mean": round(sum(len(a["unreachable"]) for a in answers) / n, 2),
    }


class OverBudget(Exception):
    """A measurement ran past its time budget."""


@contextlib.contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Raise OverBudget in this (main) thread once `seconds` have passed.

    The alarm fires between two Python bytecodes, so a long solve inside a C library ends
    when it next returns to Python.
    """

    def fire(_signum: int, _frame: Any) -> None:
        raise OverBudget

    previous = signal.signal(signal.SIGALRM, fire)
    signal.setitimer(signal.ITIMER_REAL, max(seconds, 0.001))
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def timed_loop(
    call: Callable[[dict], Any], requests: list[dict], budget: float
) -> tuple[list[float], list[Any], bool]:
    """Wall time of `call` per request, within `budget` seconds; True when cut short."""
    seconds, answers = [], []
    try:
        with deadline(budget):
            for request in requests:
                start = time.perf_counter()
                answers.append(call(request))
                seconds.append(time.perf_counter() - start)
    except OverBudget:
        say(f"time budget of {budget:g} s spent after {len(seconds)} requests")
        return seconds, answers, True
    return seconds, answers, False


def measure_prepare(path: Path, costs: list[str], log: Path, budget: float) -> dict[str, Any]:
    """`flask stacking prepare` on the imported database, as an operator runs it after an
    import: the seconds per cost (from the sets it wrote) and the command's peak memory."""
    env = {**os.environ, "DATABASE_URL": sqlite_url(path)}
    flask = str(Path(sys.executable).with_name("flask"))
    command = [flask, "--app", "registry", "stacking", "prepare", "--force"]
    for cost in costs:
        command += ["--cost", cost]
    peak = 0.0
    with log.open("w") as out, timed() as t:
        child = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=out)
        try:
            with deadline(budget):
                # The child's own peak, read while it runs: its ru_maxrss would report this
                # process's peak instead when that is larger (Linux keeps the high-water mark
                # of the memory a child replaced by exec, here a copy of this benchmark's).
                while child.poll() is None:
                    peak = max(peak, memory_mb(child.pid).get("VmHWM", 0.0))
                    time.sleep(0.2)
        except OverBudget:
            child.kill()
            child.wait()
            return {"skipped": f"flask stacking prepare did not finish in {budget:g} s"}
    code = child.returncode
    result: dict[str, Any] = {
        "seconds": round(t[0], 3),
        "exit_code": code,
        "peak_memory_mb": peak,
    }
    if code != 0:
        result["skipped"] = f"flask stacking prepare failed; see {log}"
        return result
    with contextlib.closing(connect_raw(path)) as conn:
        result["per_cost_s"] = {
            cost: seconds
            for cost, seconds in conn.execute("SELECT cost, seconds FROM prepared_sets")
        }
    return result


def measure_in_process(
    path: Path, warmup: list[dict], requests: list[dict], budget: float
) -> dict[str, Any]:
    """Load the catalogue from the database as a serving worker does (with the empty-wallet
    answers prepared for its revision, when there are), then time `evaluate` per request."""
    from registry.credentials.catalogue import current_revision, load_catalogue
    from registry.credentials.prepared import install
    from registry.db import db
    from registry.stacking import evaluate
    from registry.stacking.engine import prepare, warm

    app = make_app(path)
    with app.app_context():
        with timed() as load:
            catalogue = load_catalogue(db.session)
        with timed() as installing:
            installed = install(db.session, catalogue, current_revision(db.session))
        db.session.close()
        db.engine.dispose()
    with timed() as index:
        catalogue.index()
    qualifications = sorted(i for i, s in catalogue.credentials.items() if s.is_qualification)
    result: dict[str, Any] = {
        "catalogue_load_s": round(load[0], 3),
        "prepared_installed": installed,
        "install_s": round(installing[0], 3),
        "index_build_s": round(index[0], 3),
        "qualifications": len(qualifications),
    }
    if "credits" in installed:
        say(f"installed the prepared answers ({', '.join(installed)}) in {installing[0]:.1f} s")
        with timed() as reached:
            warm(catalogue)  # what a worker builds when it loads the catalogue
        result["reach_build_s"] = round(reached[0], 3)
        return _latency_in_process(catalogue, evaluate, warmup, requests, budget, result)
    # Every qualification's empty-wallet answer, which the first request would otherwise build.
    say(f"preparing {len(qualifications)} qualifications (budget {budget:g} s)")
    try:
        with timed() as prepared, deadline(budget):
            prepare(catalogue)
    except OverBudget:
        cache = catalogue.index().cache
        done = sum(1 for q in qualifications if ("empty-answer", q, "credits") in cache)
        result["prepare"] = (
            f"did not finish in {budget:g} s: {done} of {len(qualifications)} qualifications "
            "prepared"
        )
        result["skipped"] = "latency not measured: the catalogue could not be prepared in time"
        say(f"prepare: {result['prepare']}")
        return result
    result["prepare_s"] = round(prepared[0], 3)
    say(f"prepared in {prepared[0]:.1f} s")
    return _latency_in_process(catalogue, evaluate, warmup, requests, budget, result)


def _latency_in_process(
    catalogue: Any,
    evaluate: Callable,
    warmup: list[dict],
    requests: list[dict],
    budget: float,
    result: dict[str, Any],
) -> dict[str, Any]:
    call = partial(evaluate_as_served, evaluate, catalogue)
    _, _, cut = timed_loop(call, warmup, budget)
    if cut:
        result["skipped"] = f"the {len(warmup)} warm-up requests took over {budget:g} s"
        return result
    seconds, answers, cut = timed_loop(call, requests, budget)
    result["warmup_requests"] = len(warmup)
    result["latency"] = latency_summary(seconds, len(requests))
    if answers:
        result["answers"] = answer_stats(answers)
    return result


def evaluate_as_served(evaluate: Callable, catalogue: Any, request: dict) -> dict:
    """One evaluation and what a server does after its response (freeze the tables it built,
    `registry.credentials.settle_after_response`), timed together."""
    from registry.stacking.engine import settle_tables

    answer = evaluate(catalogue, request)
    settle_tables()
    return answer


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(port: int, method: str, url: str, body: bytes | None = None) -> tuple[int, bytes]:
    """One request on a new connection (a sync worker closes it after each response)."""
    conn = http.client.HTTPConnection("127.0.0.1", port)
    try:
        conn.request(method, url, body, {"Content-Type": "application/json"})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def evaluate_over_http(port: int, request: dict) -> int:
    status, _ = call(port, "POST", "/api/v1/evaluate", json.dumps(request).encode())
    return status


def worker_pid(master: int) -> int | None:
    children = Path(f"/proc/{master}/task/{master}/children")
    with contextlib.suppress(OSError):
        pids = children.read_text().split()
        if pids:
            return int(pids[0])
    return None


def memory_mb(pid: int | None) -> dict[str, float]:
    """VmHWM (peak resident set) and VmRSS of a process, in MiB."""
    found: dict[str, float] = {}
    if pid is None:
        return found
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            name, _, value = line.partition(":")
            if name in ("VmHWM", "VmRSS"):
                found[name] = round(int(value.split()[0]) / 1024, 1)
    return found


def measure_http(
    path: Path,
    warmup: list[dict],
    requests: list[dict],
    log: Path,
    budget: float,
    published: str,
) -> dict[str, Any]:
    """Time POST /api/v1/evaluate against one gunicorn sync worker serving `path`.

    A GET of one credential's pathway first makes the worker load the catalogue, so the load
    and the first evaluation (which prepares every qualification) are timed apart, and the
    worker's memory is read after each stage.
    """
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": sqlite_url(path),
        "REGISTRY_ENV": "production",
        "SECRET_KEY": secrets.token_hex(32),
    }
    command = [
        str(Path(sys.executable).with_name("gunicorn")),
        "--workers", "1",
        "--bind", f"127.0.0.1:{port}",
        "--timeout", "7200",  # the first requests load and prepare the whole catalogue
        "wsgi:app",
    ]  # fmt: skip
    with log.open("w") as out:
        # A session of its own, so that the worker goes down with the master at the end.
        server = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=out, stderr=out, start_new_session=True
        )
    result: dict[str, Any] = {"workers": 1, "worker_class": "sync"}
    try:
        ready = time.monotonic() + 120
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
                break
            if server.poll() is not None or time.monotonic() > ready:
                result["skipped"] = f"gunicorn did not start; see {log}"
                return result
            time.sleep(0.2)
        worker = worker_pid(server.pid)
        try:
            with timed() as load, deadline(budget):
                status, _ = call(port, "GET", f"/api/v1/credentials/{published}/pathway")
            if status == 200:
                result["catalogue_load_s"] = round(load[0], 3)
                result["worker_memory_after_load_mb"] = memory_mb(worker)
            with timed() as first, deadline(budget):
                status, answer = call(
                    port, "POST", "/api/v1/evaluate", json.dumps(warmup[0]).encode()
                )
        except OverBudget:
            result["skipped"] = f"the worker did not answer within {budget:g} s"
            result["worker_memory_mb"] = memory_mb(worker)
            return result
        if status == 404:
            result["skipped"] = "POST /api/v1/evaluate answers 404: the endpoint does not exist"
            return result
        if status != 200:
            result["skipped"] = f"POST /api/v1/evaluate answered {status}: {answer[:300]!r}"
            return result
        result["first_request_s"] = round(first[0], 3)
        _, _, cut = timed_loop(partial(evaluate_over_http, port), warmup[1:], budget)
        if not cut:
            seconds, statuses, cut = timed_loop(partial(evaluate_over_http, port), requests, budget)
            result["latency"] = latency_summary(seconds, len(requests))
            result["failures"] = sum(status != 200 for status in statuses)
        else:
            result["skipped"] = f"the warm-up requests took over {budget:g} s"
        result["worker_memory_mb"] = memory_mb(worker)
        return result
    finally:
        stop(server)


def stop(server: subprocess.Popen) -> None:
    """Stop gunicorn and its worker (its own process group), forcibly if it lingers."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=45)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGKILL)
        server.wait()


def run_size(n: int, args: argparse.Namespace, result: dict[str, Any], save: Callable) -> None:
    """Measure one size into `result`, calling `save` after each part so a crash loses little."""
    # Other processes on the machine skew every figure; the load averages say how much.
    result.update({"credentials": n, "load_average_before": os.getloadavg()})
    path, generated = catalogue_file(n, args.seed)
    if generated is not None:
        result["generate_s"] = round(generated, 3)
    imported = DATA / f"bench-{n}.sqlite3"
    floor = DATA / f"floor-{n}.sqlite3"
    reused = args.reuse and imported.exists()
    count = args.wallets + args.warmup
    # The requests (and the facts about the catalogue) of a reused database are kept beside
    # it, so a rerun need not parse the whole catalogue file again.
    kept = DATA / f"requests-{n}-seed{args.seed}-{count}.json"
    if reused and kept.exists():
        say(f"{n}: reading the requests kept in {kept.name}")
        saved = json.loads(kept.read_text(encoding="utf-8"))
        document = None
        result.update(saved["facts"])
        requests, published = saved["requests"], saved["published"]
    else:
        say(f"{n}: loading {path.name}")
        with timed() as t:
            document = json.loads(path.read_text(encoding="utf-8"))
        result["json_load_s"] = round(t[0], 3)
        facts = {
            "providers": len(document["providers"]),
            "qualifications": sum(1 for c in document["credentials"] if "requirements" in c),
            "recognitions": len(document["recognitions"]),
        }
        result.update(facts)
        published = next(c["id"] for c in document["credentials"] if c["status"] == "published")
        say(f"{n}: making {args.wallets} wallets")
        requests = make_requests(document, count, args.seed)
        if args.keep:
            saved = {"facts": facts, "requests": requests, "published": published}
            kept.write_text(json.dumps(saved), encoding="utf-8")
    warmup, requests = requests[: args.warmup], requests[args.warmup :]

    if reused:
        # A database kept by an earlier run (--keep) of the same catalogue: no import figures.
        say(f"{n}: reusing {imported.name}; import and floor not measured")
        result["import"] = {"reused": imported.name}
    else:
        if document is None:
            document = json.loads(path.read_text(encoding="utf-8"))
        say(f"{n}: importing through import_catalogue")
        result["import"] = measure_import(document, imported)
        say(f"{n}: import took {result['import']['seconds']} s")
    del document
    gc.collect()
    save()
    if "import" in args.parts and not reused:
        say(f"{n}: measuring the executemany floor")
        result["floor"] = measure_floor(imported, floor)
        rows = result["floor"]["rows"]
        result["import"]["rows_per_s"] = round(rows / result["import"]["seconds"])
        result["floor"]["rows_per_s"] = round(rows / result["floor"]["seconds"])
        result["import_ratio"] = round(result["import"]["seconds"] / result["floor"]["seconds"], 2)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{floor}{suffix}").unlink(missing_ok=True)
        save()
        say(f"{n}: floor took {result['floor']['seconds']} s, ratio {result['import_ratio']}")
    if "prepare" in args.parts:
        costs = list(args.prepare_costs)
        say(f"{n}: flask stacking prepare ({', '.join(costs)})")
        log = DATA / f"prepare-{n}.log"
        result["prepare"] = guarded(measure_prepare, imported, costs, log, args.budget * 4)
        save()
        say(f"{n}: prepare: {result['prepare']}")
    if "evaluate" in args.parts:
        say(f"{n}: evaluating in process")
        result["in_process"] = guarded(measure_in_process, imported, warmup, requests, args.budget)
        save()
        p95 = _get(result, "in_process", "latency", "p95_ms")
        say(f"{n}: in process p95 {p95} ms" if p95 is not None else f"{n}: in process skipped")
    if "http" in args.parts:
        say(f"{n}: evaluating over HTTP through gunicorn")
        log = DATA / f"gunicorn-{n}.log"
        result["http"] = guarded(
            measure_http, imported, warmup, requests, log, args.budget, published
        )
        save()
        if "skipped" in result["http"]:
            say(f"{n}: HTTP skipped: {result['http']['skipped']}")
        else:
            say(f"{n}: HTTP p95 {result['http']['latency']['p95_ms']} ms")
    result["load_average_after"] = os.getloadavg()
    if not args.keep:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{imported}{suffix}").unlink(missing_ok=True)


def guarded(measure: Callable[..., dict[str, Any]], *args: Any) -> dict[str, Any]:
    """The measurement's figures, or what went wrong, so the other parts still run."""
    try:
        return measure(*args)
    except Exception as exc:  # any failure is reported, not fatal to the run
        say(f"{measure.__name__} failed: {exc!r}")
        return {"skipped": f"failed: {exc!r}"}


# --- Report ----------------------------------------------------------------------------------


def code_version() -> dict[str, Any]:
    """The commit measured, and the registry files that differed from it (work in progress)."""
    found: dict[str, Any] = {}
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        found["commit"] = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
        status = subprocess.run(
            ["git", "status", "--porcelain", "--", "registry", "migrations"],
            cwd=ROOT,
            capture_output=True,
            text=True,
        ).stdout
        found["uncommitted"] = [line[3:] for line in status.splitlines()]
    return found


def machine() -> dict[str, Any]:
    cpu = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = ""
    with contextlib.suppress(OSError):
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f"{kib / 1024 / 1024:.1f} GiB"
    return {
        "cpus": os.cpu_count(),
        "cpu_model": cpu,
        "memory": memory,
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "platform": platform.platform(),
    }


def _get(result: dict, *keys: str) -> Any:
    for key in keys:
        if not isinstance(result, dict) or key not in result:
            return None
        result = result[key]
    return result


def _fmt(value: Any, spec: str = "") -> str:
    return "-" if value is None else format(value, spec)


def table(results: list[dict]) -> str:
    head = (
        f"{'credentials':>11} {'import s':>9} {'rows/s':>9} {'floor s':>8} {'floor rows/s':>12} "
        f"{'ratio':>6} {'in-proc p50':>11} {'p95 ms':>7} {'http p50':>9} {'p95 ms':>7} "
        f"{'worker peak MiB':>15}"
    )
    lines = [head, "-" * len(head)]
    notes = []
    for r in results:
        lines.append(
            f"{r['credentials']:>11,} {_fmt(_get(r, 'import', 'seconds'), '.1f'):>9} "
            f"{_fmt(_get(r, 'import', 'rows_per_s'), ','):>9} "
            f"{_fmt(_get(r, 'floor', 'seconds'), '.1f'):>8} "
            f"{_fmt(_get(r, 'floor', 'rows_per_s'), ','):>12} "
            f"{_fmt(r.get('import_ratio'), '.2f'):>6} "
            f"{_fmt(_get(r, 'in_process', 'latency', 'p50_ms'), '.1f'):>11} "
            f"{_fmt(_get(r, 'in_process', 'latency', 'p95_ms'), '.1f'):>7} "
            f"{_fmt(_get(r, 'http', 'latency', 'p50_ms'), '.1f'):>9} "
            f"{_fmt(_get(r, 'http', 'latency', 'p95_ms'), '.1f'):>7} "
            f"{_fmt(_get(r, 'http', 'worker_memory_mb', 'VmHWM'), '.0f'):>15}"
        )
        for part, label in (("in_process", "in process"), ("http", "over HTTP")):
            latency = _get(r, part, "latency")
            if latency and latency.get("stopped_early"):
                notes.append(
                    f"{r['credentials']:,} {label}: the time budget stopped the loop after "
                    f"{latency['n']} requests"
                )
            skipped = _get(r, part, "skipped")
            if skipped:
                notes.append(f"{r['credentials']:,} {label}: skipped: {skipped}")
    return "\n".join(lines + notes)


def verdicts(results: list[dict]) -> list[str]:
    """The issue's targets, each with the measured figure and ok / MISSED / not measured."""
    by_size = {r["credentials"]: r for r in results}
    top = by_size.get(TARGET_SIZE)
    base = by_size.get(BASE_SIZE)

    def line(label: str, value: float | None, limit: float, unit: str) -> str:
        if value is None:
            return f"{label}: not measured (target <= {limit:g}{unit})"
        mark = "ok" if value <= limit else "MISSED"
        return f"{label}: {value:g}{unit} (target <= {limit:g}{unit}) {mark}"

    out = [
        line(f"import at {r['credentials']:,}: ours / floor", r.get("import_ratio"),
             IMPORT_RATIO_MAX, "x")
        for r in results
    ]  # fmt: skip
    at = f"at {TARGET_SIZE:,}"
    p95_top = _get(top, "in_process", "latency", "p95_ms") if top else None
    out.append(line(f"evaluation p95 in process {at}", p95_top, P95_IN_PROCESS_MAX_MS, " ms"))
    http_top = _get(top, "http", "latency", "p95_ms") if top else None
    out.append(line(f"evaluation p95 over HTTP {at}", http_top, P95_HTTP_MAX_MS, " ms"))
    p95_base = _get(base, "in_process", "latency", "p95_ms") if base else None
    growth = round(p95_top / p95_base, 2) if p95_top and p95_base else None
    out.append(line(f"p95 {at} / p95 at {BASE_SIZE:,} (in process)", growth, P95_GROWTH_MAX, "x"))
    peak = _get(top, "http", "worker_memory_mb", "VmHWM") if top else None
    label = f"peak RSS of one worker {at}"
    if peak is not None and _get(top, "http", "latency") is None:
        label += " (no evaluation finished: measured while the worker prepared the catalogue)"
    out.append(line(label, peak, WORKER_PEAK_MAX_MB, " MiB"))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.run", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "--sizes",
        default="10000,100000,1000000",
        type=lambda s: [int(x) for x in s.split(",") if x.strip()],
        help="catalogue sizes in credentials, comma-separated (default: %(default)s)",
    )
    parser.add_argument("--wallets", type=int, default=200, help="timed requests per size")
    parser.add_argument("--warmup", type=int, default=20, help="untimed requests first")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--parts",
        default=",".join(PARTS),
        type=lambda s: [x.strip() for x in s.split(",") if x.strip()],
        help="what to measure: import (with the floor), evaluate (in process), http "
        "(gunicorn and its memory); the import always runs, the others need its database "
        "(default: %(default)s)",
    )
    parser.add_argument(
        "--budget",
        type=float,
        default=600,
        help="seconds after which a latency loop stops early (default: %(default)s)",
    )
    parser.add_argument(
        "--prepare-costs",
        default=",".join(PREPARE_COSTS),
        type=lambda s: [x.strip() for x in s.split(",") if x.strip()],
        help="costs `flask stacking prepare` computes in the prepare part (default: %(default)s)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the imported databases")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="evaluate against the database a --keep run left, without importing again "
        "(no import figures); implies --keep",
    )
    args = parser.parse_args(argv)
    args.keep = args.keep or args.reuse
    if not args.sizes or min(args.sizes) < 1:
        parser.error("--sizes needs positive numbers")
    unknown = set(args.parts) - set(PARTS)
    if unknown:
        parser.error(f"--parts: unknown {', '.join(sorted(unknown))}; use {', '.join(PARTS)}")
    if set(args.prepare_costs) - set(PREPARE_COSTS) or not args.prepare_costs:
        parser.error(f"--prepare-costs: use some of {', '.join(PREPARE_COSTS)}")
    if args.wallets < 1 or args.warmup < 1:
        parser.error("--wallets and --warmup must be at least 1")
    DATA.mkdir(parents=True, exist_ok=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    started = dt.datetime.now(dt.UTC)
    record: dict[str, Any] = {
        "command": "python -m benchmarks.run " + " ".join(sys.argv[1:] if argv is None else argv),
        "started": started.isoformat(timespec="seconds"),
        "machine": machine(),
        "code": code_version(),
        "wallet_size": 30,
        "limit": LIMIT,
        "results": [],
    }
    out = RESULTS / f"run-{started:%Y%m%d-%H%M%S}.json"

    def save() -> None:  # partial results survive a crash or an interrupted run
        out.write_text(json.dumps(record, indent=2) + "\n")

    for n in args.sizes:
        result: dict[str, Any] = {}
        record["results"].append(result)
        run_size(n, args, result, save)
        save()
        gc.collect()
    record["verdicts"] = verdicts(record["results"])
    out.write_text(json.dumps(record, indent=2) + "\n")
    (RESULTS / "latest.json").write_text(json.dumps(record, indent=2) + "\n")
    print(table(record["results"]))
    print()
    for verdict in record["verdicts"]:
        print(verdict)
    print(f"\nresults: {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
