"""Tables a request builds for a large catalogue are frozen out of the cyclic collector's reach.

Otherwise every full collection rescans them: at a million credentials those pauses (0.5-1 s,
every few requests) were most of the slowest evaluations. The block's own garbage cycles are
collected first, so freezing keeps only what lives on with the catalogue.
"""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from registry.stacking import Catalogue, CredentialSpec, engine, evaluate
from registry.stacking.engine import long_lived, settle_build, settle_tables


def catalogue() -> Catalogue:
    specs = [CredentialSpec(f"m{n}", credits=n % 4 + 1, subjects=("0613",)) for n in range(8)]
    specs.append(CredentialSpec("q", requirements={"credits": 9, "where": {"subjects": ["0613"]}}))
    return Catalogue({spec.id: spec for spec in specs})


@pytest.fixture()
def large_from_one(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every catalogue counts as large; nothing stays frozen after the test."""
    monkeypatch.setattr(engine, "FREEZE_FROM", 1)
    gc.unfreeze()
    try:
        yield
    finally:
        gc.unfreeze()


class Cycle:
    def __init__(self) -> None:
        self.me = self


def test_an_evaluation_leaves_its_tables_frozen_once_settled(large_from_one: None) -> None:
    shelf = catalogue()
    answer = evaluate(
        shelf, {"wallet": [{"credential": "m0", "earned_on": "2026-01-01"}], "limit": 5}
    )
    assert answer["in_progress"][0]["qualification"] == "q"
    gc.unfreeze()  # as if every table had been built by the next request
    evaluate(shelf, {"wallet": [{"credential": "m1", "earned_on": "2026-01-01"}]})
    settle_tables()
    tables = [value for key, value in shelf.index().cache.items() if key[0] == "exact-leaf"]
    assert tables
    reachable = {id(thing) for thing in gc.get_objects()}
    assert not any(id(table) in reachable for table in tables)
    assert gc.isenabled()


def test_inside_a_request_freezing_waits_for_settle_tables(large_from_one: None) -> None:
    shelf = catalogue()
    kept: list[Cycle] = []
    with long_lived(shelf, settle=False):
        kept.append(Cycle())  # lives on, like a table in the catalogue's cache
        probe = weakref.ref(Cycle())  # the request's garbage
    assert gc.isenabled()
    assert id(kept[0]) in {id(thing) for thing in gc.get_objects()}  # not frozen yet
    settle_tables()
    assert probe() is None  # collected, not frozen
    assert id(kept[0]) not in {id(thing) for thing in gc.get_objects()}


def test_the_blocks_own_garbage_cycles_are_collected_not_frozen(large_from_one: None) -> None:
    with long_lived(catalogue()):
        probe = weakref.ref(Cycle())
        assert probe() is not None  # the collector is off inside the block
    assert probe() is None


def test_small_catalogues_are_left_to_the_collector() -> None:
    gc.unfreeze()
    shelf = catalogue()
    with long_lived(shelf):
        assert gc.isenabled()
        kept = Cycle()
    assert gc.get_freeze_count() == 0
    assert id(kept) in {id(thing) for thing in gc.get_objects()}


def test_a_long_build_frees_its_garbage_cycles_and_freezes_what_survives(
    large_from_one: None,
) -> None:
    shelf = catalogue()
    with long_lived(shelf):
        kept = Cycle()  # an answer kept with the catalogue
        probe = weakref.ref(Cycle())  # the build's garbage
        settle_build(shelf)
        assert probe() is None
        assert id(kept) not in {id(thing) for thing in gc.get_objects()}


def test_preparing_every_answer_settles_along_the_way(
    large_from_one: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[Catalogue] = []
    monkeypatch.setattr(engine, "FREEZE_EVERY", 1)
    monkeypatch.setattr(engine, "settle_build", calls.append)
    shelf = catalogue()
    engine.empty_answers(shelf, "credits")
    assert calls == [shelf]  # one qualification, settled before it is planned
