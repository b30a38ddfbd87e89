"""Cycles in the requirement and prerequisite graphs, and the graph itself."""

from __future__ import annotations

import datetime
import subprocess
import sys
from pathlib import Path

import pytest

import registry.stacking
from registry.stacking import CredentialSpec, CycleError, build_graph, find_cycle
from registry.stacking.dates import add_years, parse_date


def spec(ident: str, **fields: object) -> CredentialSpec:
    return CredentialSpec(ident, **fields)  # type: ignore[arg-type]


def test_no_cycle() -> None:
    creds = {
        "a": spec("a"),
        "b": spec("b", prerequisites={"credential": "a"}),
        "q": spec("q", requirements={"all": [{"credential": "a"}, {"credential": "b"}]}),
    }
    assert find_cycle(creds) is None


def test_requirement_cycle_names_the_cycle() -> None:
    creds = {
        "a": spec("a", requirements={"credential": "b"}),
        "b": spec("b", requirements={"count": 1, "where": {"credentials": ["c"]}}),
        "c": spec("c", requirements={"any": [{"credential": "a"}, {"credential": "x"}]}),
        "x": spec("x"),
    }
    error = find_cycle(creds)
    assert isinstance(error, CycleError)
    assert error.kind == "requirements"
    assert error.cycle == ["a", "b", "c", "a"]
    assert str(error) == "requirements cycle: a -> b -> c -> a"


def test_prerequisite_self_cycle() -> None:
    error = find_cycle({"a": spec("a", prerequisites={"credential": "a"})})
    assert error is not None
    assert (error.kind, error.cycle) == ("prerequisites", ["a", "a"])


def test_mixed_edges_are_not_a_cycle() -> None:
    creds = {
        "a": spec("a", requirements={"credential": "b"}),
        "b": spec("b", prerequisites={"credential": "a"}),
    }
    assert find_cycle(creds) is None


def test_build_graph_edge_kinds() -> None:
    creds = {
        "a": spec("a"),
        "b": spec("b", prerequisites={"credential": "a"}),
        "q": spec("q", requirements={"credential": "b"}, prerequisites={"credential": "b"}),
    }
    graph = build_graph(creds)
    assert set(graph.nodes) == {"a", "b", "q"}
    assert graph.edges["b", "a"]["kind"] == "prerequisite"
    assert graph.edges["q", "b"]["kind"] == "requirement"


@pytest.mark.parametrize(
    ("day", "years", "expected"),
    [
        ("2024-02-29", 1, "2025-02-28"),
        ("2024-02-29", 4, "2028-02-29"),
        ("2024-02-29", -1, "2023-02-28"),
        ("2023-03-01", 1, "2024-03-01"),
        ("2020-12-31", 0, "2020-12-31"),
    ],
)
def test_add_years(day: str, years: int, expected: str) -> None:
    assert add_years(datetime.date.fromisoformat(day), years).isoformat() == expected


def test_add_years_saturates() -> None:
    assert add_years(datetime.date(2020, 1, 1), 10**6) == datetime.date.max


@pytest.mark.parametrize("text", ["2025-02-30", "20250301", "2025-3-1", "", None, 20250301])
def test_parse_date_is_strict(text: object) -> None:
    assert parse_date(text) is None


def test_importing_the_core_loads_neither_flask_nor_sqlalchemy() -> None:
    # The application package's own __init__ builds the Flask app, so the probe stands in an
    # empty `registry` package and imports only the core beneath it.
    code = (
        "import sys, types;"
        "parent = types.ModuleType('registry'); parent.__path__ = [sys.argv[1]];"
        "sys.modules['registry'] = parent;"
        "import pkgutil, importlib, registry.stacking;"
        "[importlib.import_module(m.name) for m in pkgutil.walk_packages("
        "registry.stacking.__path__, 'registry.stacking.')];"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('flask', 'sqlalchemy')];"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    package_dir = str(Path(registry.stacking.__file__).resolve().parent.parent)
    result = subprocess.run(
        [sys.executable, "-c", code, package_dir], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
