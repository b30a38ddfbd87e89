"""A table's class members kept as rows of the catalogue's columns (`exact.Rows`) read as
the sorted lists of ids they stand for, alone and merged into a class (`exact.Ids`)."""

from __future__ import annotations

import bisect

import numpy as np
from hypothesis import example, given
from hypothesis import strategies as st

from registry.stacking import exact

IDS = np.array([f"c{n:04d}" for n in range(300)], dtype=object)  # rows in id order

picks = st.lists(st.integers(0, len(IDS) - 1), unique=True, max_size=120).map(sorted)


def rows_of(chosen: list[int]) -> exact.Rows:
    return exact.Rows(IDS, np.array(chosen, dtype=np.int32))


@given(picks, st.integers(-3, 130), st.integers(-3, 130))
@example(list(range(0, 300, 2)), 10, 140)  # longer than the first chunks
def test_rows_read_as_the_list_of_their_ids(chosen, start, stop):
    listed = [IDS[n] for n in chosen]
    rows = rows_of(chosen)
    assert len(rows) == len(listed)
    assert list(rows) == listed  # iterated in growing chunks
    assert rows[start:stop] == listed[start:stop]
    if listed:
        assert [rows[n] for n in range(len(listed))] == listed
    for n in (0, 7, 150, 299):
        probe = IDS[n]
        assert bisect.bisect_left(rows, probe) == bisect.bisect_left(listed, probe)
        assert bisect.bisect_right(rows, probe) == bisect.bisect_right(listed, probe)


@given(st.lists(picks.filter(bool), min_size=1, max_size=3), st.integers(0, 299), st.integers(0, 9))
def test_a_class_of_rows_reads_as_a_class_of_lists(runs, probe, count):
    as_rows = exact.Ids([rows_of(run) for run in runs])
    as_lists = exact.Ids([[IDS[n] for n in run] for run in runs])
    ident = IDS[probe]
    assert len(as_rows) == len(as_lists)
    assert list(as_rows) == list(as_lists)
    assert as_rows.first() == as_lists.first()
    assert (ident in as_rows) == (ident in as_lists)
    assert as_rows.after(ident, count) == as_lists.after(ident, count)
    merged = sorted(IDS[n] for run in runs for n in run)
    assert as_lists.after(ident, count) == [i for i in merged if i > ident][:count]
