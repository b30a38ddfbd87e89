"""The knapsack programs behind the exact search agree with plain enumeration.

Each program takes groups of interchangeable credentials ("runs": take a prefix) and
optional groups ("moves": take at most one choice), sums capped at limits, and keys that add
up; the answer is the least key whose sums reach every goal (a share dimension must end at
or above 0). Enumeration tries every prefix of every run and every choice of every move.
"""

from __future__ import annotations

import itertools
import os
import random

import pytest

from registry.stacking import exact

ROUNDS = 3000 if os.environ.get("HYPOTHESIS_PROFILE") == "ci" else 100


def brute(begin, moves, runs, limits, goals, share=None):
    """The least key over every combination, or None."""
    options = [[(None, 0), *choices] for _, choices in moves]
    prefixes = []
    for _, deltas in runs:
        prefixes.append([(0, 0), *((j + 1, delta) for j, delta in enumerate(deltas))])
    best = None
    for picks in itertools.product(*options):
        for lengths in itertools.product(*prefixes):
            state = list(begin)
            key = 0
            for roles_delta in picks:
                roles, delta = roles_delta
                if roles is None:
                    continue
                key += delta
                state = [
                    s + r if d == share else min(limits[d], s + r)
                    for d, (s, r) in enumerate(zip(state, roles, strict=True))
                ]
            for (gains, _), (length, delta) in zip(runs, lengths, strict=True):
                key += delta
                for _ in range(length):
                    state = [
                        s + g if d == share else min(limits[d], s + g)
                        for d, (s, g) in enumerate(zip(state, gains, strict=True))
                    ]
            met = all(
                (state[d] >= 0) if d == share else (state[d] >= goals[d]) for d in range(len(state))
            )
            if met and (best is None or key < best):
                best = key
    return best


def random_problem(rng: random.Random, dims: int, share: bool):
    limits = [rng.randint(1, 12) for _ in range(dims)]
    goals = list(limits)
    if share:
        limits[-1] = rng.randint(5, 40)  # a share's cap
        goals[-1] = 0

    def roles() -> tuple[int, ...]:
        found = [rng.randint(0, 5) for _ in range(dims)]
        if share:
            found[-1] = rng.choice([-3, -2, -1, 1, 2, 3]) * max(1, found[0])
        return tuple(found)

    runs = []
    for _ in range(rng.randint(0, 4)):
        gains = roles()
        deltas, total = [], 0
        for _ in range(rng.randint(1, 3)):
            total += rng.randint(1, 9) * 64 + rng.randint(0, 63)
            deltas.append(total)
        runs.append((gains, deltas))
    moves = []
    for name in range(rng.randint(0, 3)):
        choices = [(roles(), rng.choice([0, 0, rng.randint(1, 9) * 64])) for _ in range(2)]
        moves.append((f"m{name}", choices))
    begin = tuple(0 for _ in range(dims))
    return begin, moves, runs, limits, goals


def kept_lines(runs) -> exact.RunLines:
    """Lines kept for exactly these classes (the signature a leaf would give them)."""
    table = exact.LeafTable((), (), (), 1, [], exact.Membership([]))
    signature = tuple((gains, tuple(deltas)) for gains, deltas in runs)
    return exact.RunLines({}, table, (signature,), ())


@pytest.mark.parametrize("dims", [1, 2, 3])
def test_sums_agree_with_enumeration(dims: int) -> None:
    rng = random.Random(dims)
    for _ in range(ROUNDS):
        begin, moves, runs, limits, goals = random_problem(rng, dims, share=False)
        begin = tuple(rng.randint(0, limit) for limit in limits)
        # In one and two dimensions the classes' line (plane) is kept, and read again for
        # other entries; in two, also built for one answer only.
        lines = None
        if dims <= 2:
            lines = kept_lines(runs)
        if dims == 2:
            found = exact._solve_sums(begin, moves, runs, limits, goals)
            want = brute(begin, moves, runs, limits, goals)
            assert (found[0] if found else None) == want, (begin, moves, runs, limits, goals)
        found = exact._solve_sums(begin, moves, runs, limits, goals, lines)
        want = brute(begin, moves, runs, limits, goals)
        assert (found[0] if found else None) == want, (begin, moves, runs, limits, goals)
        if lines is not None:
            other = moves[: rng.randint(0, len(moves))]
            found = exact._solve_sums(begin, other, runs, limits, goals, lines)
            want = brute(begin, other, runs, limits, goals)
            assert (found[0] if found else None) == want, (begin, other, runs, limits, goals)


@pytest.mark.parametrize("dims", [2, 3])
def test_a_share_agrees_with_enumeration(dims: int) -> None:
    """The share front keeps every balance that could still matter (a rising class may dip
    below the floor before it climbs back: the case that once lost the optimum)."""
    rng = random.Random(100 + dims)
    for _ in range(ROUNDS):
        begin, moves, runs, limits, goals = random_problem(rng, dims, share=True)
        share = dims - 1
        want = brute(begin, moves, runs, limits, goals, share)
        # The cap must be one no answer needs to exceed: give it room.
        limits[share] = 10**6
        found = exact._solve_share(begin, moves, runs, limits, goals, share)
        assert (found[0] if found else None) == want, (begin, moves, runs, limits, goals)
        if want is not None:
            capped = exact._solve_share(begin, moves, runs, limits, goals, share, want)
            assert capped is not None and capped[0] == want


def test_the_lexicographic_walk_agrees_with_enumeration() -> None:
    """Least cost, then fewest paid steps, then the sorted ids that come first; a dimension
    that mirrors another (a part every candidate passes) is dropped only when the other,
    with its threshold, implies it."""
    rng = random.Random(7)
    for _ in range(ROUNDS):
        dims = rng.randint(1, 3)
        # Dimension 1 mirrors dimension 0 in every choice half the time.
        mirror = dims >= 2 and rng.random() < 0.5

        def draw(top: int, mirror: bool = mirror, dims: int = dims) -> tuple[int, ...]:
            values = [rng.randint(0, top) for _ in range(dims)]
            if mirror:
                values[1] = values[0]
            return tuple(values)

        drawn = [rng.randint(0, 9) for _ in range(dims)]
        if mirror:  # near thresholds, where a wrong drop shows
            drawn[1] = max(0, drawn[0] + rng.randint(-2, 2))
        thresholds = tuple(drawn)
        # A start off the mirror (held entries outside the part) keeps both dimensions.
        start = draw(3, mirror and rng.random() < 0.5) if rng.random() < 0.6 else (0,) * dims
        steps = []
        for number in range(rng.randint(0, 6)):
            choices = []
            price = rng.randint(0, 3)  # a step plans one credential, whichever leaf it serves
            for _ in range(rng.randint(1, 2)):
                roles = draw(4)
                paid = rng.random() < 0.8
                choices.append((roles, price if paid else 0, 0, None if paid else 1))
            steps.append((f"c{number}", choices))
        positions = exact._lexicographic_walk(start, steps, thresholds)
        found = None if positions is None else [(steps[n][0], steps[n][1][k]) for n, k in positions]
        want = None
        for picks in itertools.product(*[[None, *choices] for _, choices in steps]):
            totals = list(start)
            cost = 0
            ids = []
            for (ident, _), choice in zip(steps, picks, strict=True):
                if choice is None:
                    continue
                roles, price, _, item = choice
                totals = [t + r for t, r in zip(totals, roles, strict=True)]
                cost += price
                if item is None:
                    ids.append(ident)
            if all(t >= g for t, g in zip(totals, thresholds, strict=True)):
                key = (cost, len(ids), sorted(ids))
                if want is None or key < want:
                    want = key
        if want is None:
            assert found is None
            continue
        assert found is not None
        cost = sum(choice[1] for _, choice in found)
        ids = sorted(ident for ident, choice in found if choice[3] is None)
        assert (cost, len(ids), ids) == want, (steps, thresholds)


def test_a_share_apart_agrees_with_enumeration() -> None:
    """One threshold and one share whose entries weigh the balance in proportion to what
    they add (as credits leaves and count leaves do): the two sides solved apart."""
    rng = random.Random(11)
    settled = 0
    for _ in range(ROUNDS):
        lift, sink = rng.randint(1, 5), rng.randint(1, 5)

        def roles(inside: bool, lift: int = lift, sink: int = sink) -> tuple[int, int]:
            amount = rng.randint(1, 4)
            return (amount, lift * amount if inside else -sink * amount)

        runs = []
        for _ in range(rng.randint(0, 4)):
            gains = roles(rng.random() < 0.5)
            deltas, total = [], 0
            for _ in range(rng.randint(1, 3)):
                total += rng.randint(1, 9) * 64 + rng.randint(0, 63)
                deltas.append(total)
            runs.append((gains, deltas))
        moves = []
        for name in range(rng.randint(0, 2)):
            inside = rng.random() < 0.5
            choices = [(roles(inside), rng.choice([0, rng.randint(1, 9) * 64])) for _ in range(2)]
            moves.append((f"m{name}", choices))
        if rng.random() < 0.3:
            # A held entry worth nothing here (a badge without credits) changes nothing.
            moves.insert(rng.randint(0, len(moves)), ("zero", [((0, 0), 0)]))
        goal = rng.randint(1, 10)
        limits, goals = [goal, 10**6], [goal, 0]
        found = exact._solve_share_apart((0, 0), moves, runs, limits, goals, 1)
        assert found is not exact.NOT_HANDLED
        want = brute((0, 0), moves, runs, limits, goals, 1)
        assert (found[0] if found else None) == want, (moves, runs, goal)
        # The classes' lines kept for these entries, read again for others.
        lines = kept_lines(runs)
        exact._solve_share_apart((0, 0), moves, runs, limits, goals, 1, lines)
        other = moves[: rng.randint(0, len(moves))]
        found = exact._solve_share_apart((0, 0), other, runs, limits, goals, 1, lines)
        want = brute((0, 0), other, runs, limits, goals, 1)
        assert (found[0] if found else None) == want, (other, runs, goal)
        settled += 1
    assert settled == ROUNDS


@pytest.mark.parametrize("scan", [0, 16, 100], ids=["table", "either", "scan"])
def test_the_range_least_finds_the_first_least_value_of_every_range(
    scan: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Built as a table or scanned (at most `SCAN` values present), with the same answers."""
    monkeypatch.setattr(exact._RangeLeast, "SCAN", scan)
    rng = random.Random(5)
    for _ in range(ROUNDS):
        values = [rng.choice([None, *range(6)]) for _ in range(rng.randint(0, 40))]
        least = exact._RangeLeast(values)
        assert (least.present is not None) == (sum(v is not None for v in values) <= scan)
        for low in range(len(values) + 1):
            for high in range(low - 1, len(values) + 2):
                present = [
                    n for n in range(low, min(high, len(values) - 1) + 1) if values[n] is not None
                ]
                want = min(present, key=lambda n: (values[n], n)) if present else None
                assert least.at(low, high) == want, (values, low, high)


def class_sums(runs, dims: int):
    """Every choice of prefixes: (sums per dimension, key)."""
    prefixes = [[(0, 0), *((j + 1, delta) for j, delta in enumerate(deltas))] for _, deltas in runs]
    for lengths in itertools.product(*prefixes):
        sums = [0] * dims
        key = 0
        for (gains, _), (length, delta) in zip(runs, lengths, strict=True):
            key += delta
            sums = [s + length * g for s, g in zip(sums, gains, strict=True)]
        yield sums, key


def random_classes(rng: random.Random, dims: int) -> list:
    """Classes whose gains share a step per dimension, as wide credit sums' classes do
    (5 quanta) while a wallet's entries set a finer grid; often several with the same gains,
    their keys rising by more with each member (as a class's do) or not."""
    steps = [rng.choice([1, 2, 3, 5]) for _ in range(dims)]
    runs = []
    for _ in range(rng.randint(0, 4)):
        gains = tuple(step * rng.randint(1 if dims == 1 else 0, 2) for step in steps)
        deltas, total, rise = [], 0, 0
        rising = rng.random() < 0.7
        for _ in range(rng.randint(1, 4)):
            rise = rise + rng.randint(0, 40) if rising else rng.randint(1, 9) * 64
            total += rise + rng.randint(0, 63) * (not rising)
            deltas.append(total)
        runs.append((gains, deltas))
    return runs


def test_class_lines_agree_with_enumeration() -> None:
    """The classes' lines and planes, built in their gains' common step and read back on the
    caller's grid: the least key reaching at least (or, for `_runs_exact`, exactly) each
    amount."""
    rng = random.Random(17)
    for _ in range(ROUNDS):
        runs = random_classes(rng, 1)
        limit = rng.randint(0, 30)
        sums = list(class_sums(runs, 1))
        at_least = exact._runs_reaching(runs, limit)
        exactly = exact._runs_exact(runs, limit, 0)
        for amount in range(limit + 1):
            want = min((key for (s,), key in sums if s >= amount), default=None)
            assert at_least[amount] == want, (runs, limit, amount)
            want = min((key for (s,), key in sums if s == amount), default=None)
            assert exactly[amount] == want, (runs, limit, amount)

        runs = random_classes(rng, 2)
        limits = [rng.randint(0, 12), rng.randint(0, 12)]
        sums = list(class_sums(runs, 2))
        plane = exact._runs_plane(runs, limits)
        assert len(plane) == (limits[0] + 1) * (limits[1] + 1)
        for a in range(limits[0] + 1):
            for b in range(limits[1] + 1):
                want = min((key for (x, y), key in sums if x >= a and y >= b), default=None)
                assert plane[a * (limits[1] + 1) + b] == want, (runs, limits, a, b)


def credit_sum_classes(rng: random.Random) -> tuple[list, int]:
    """One dimension's classes as a credit sum's: sizes that are often multiples of one
    another, members enough to reach the limit (or fewer: a small class), and keys as
    `Deltas` makes them, each credit costing the same (cost `credits`) or not."""
    sizes = rng.sample([2, 3, 4, 5, 6, 8, 10, 12], rng.randint(2, 4))
    limit = rng.randint(1, 16)
    same_rate = rng.random() < 0.7
    names = iter(rng.sample(range(1000), 40))
    classes = []
    for size in sizes:
        needed = -(-limit // size)
        count = needed if rng.random() < 0.8 else rng.randint(1, needed)
        members = sorted(f"c{next(names):03d}" for _ in range(count))
        classes.append(((size,), size if same_rate else rng.randint(1, 12), members))
    bits = exact.KeyBits(sorted(i for _, _, members in classes for i in members))
    return [(gains, exact.Deltas(bits, price, members)) for gains, price, members in classes], limit


def test_outclassed_members_change_no_line(monkeypatch: pytest.MonkeyPatch) -> None:
    """`_outclassed` leaves a class the members a least key can use: the lines of credit sums
    whose classes are multiples of one another agree with enumeration, and it does cut
    (here even the short lines it otherwise leaves alone)."""
    monkeypatch.setattr(exact, "OUTCLASSED_MEMBERS", 0)
    rng = random.Random(23)
    cut = 0
    for _ in range(max(ROUNDS // 10, 60)):
        runs, limit = credit_sum_classes(rng)
        concrete = exact._concrete(runs)
        at_least: list = [None] * (limit + 1)
        exactly: list = [None] * (limit + 1)
        for (total,), key in class_sums(concrete, 1):
            for amount in range(min(total, limit) + 1):
                if at_least[amount] is None or key < at_least[amount]:
                    at_least[amount] = key
            if total <= limit and (exactly[total] is None or key < exactly[total]):
                exactly[total] = key
        assert exact._runs_reaching(runs, limit) == at_least, (concrete, limit)
        assert exact._runs_exact(runs, limit, 0) == exactly, (concrete, limit)
        lengths = [len(keys) for _, keys in concrete]
        kept = [
            len(keys)
            for _, keys in exact._outclassed([(g, k) for (g,), k in concrete], limit, False)
        ]
        cut += sum(lengths) - sum(kept)
    assert cut > 0


def test_a_kept_walk_answers_for_any_entries_behind_the_same_options() -> None:
    """Walks are kept per catalogue under what they read; a free option's entry is not part
    of it, so another wallet's entry with the same gains gets the kept answer, and an option
    that differs in what the walk reads (planned or free, price, gains) walks again."""
    cache: dict = {}
    one, two = object(), object()
    steps = [("a", [((2,), 0, 0, one)]), ("b", [((1,), 3, 1, None)]), ("c", [((1,), 2, 0, None)])]
    first = exact._kept_walk(cache, (0,), steps, (3,))
    assert first == [(0, 0), (2, 0)]  # the free entry and the cheaper "c"
    again = [("a", [((2,), 0, 0, two)]), *steps[1:]]
    assert exact._kept_walk(cache, (0,), again, (3,)) is first
    assert len(cache["exact-walks"]) == 1
    planned = [("a", [((2,), 0, 0, None)]), *steps[1:]]
    assert exact._kept_walk(cache, (0,), planned, (3,)) == [(0, 0), (2, 0)]
    dearer = [steps[0], steps[1], ("c", [((1,), 4, 0, None)])]
    assert exact._kept_walk(cache, (0,), dearer, (3,)) == [(0, 0), (1, 0)]
    assert len(cache["exact-walks"]) == 3
