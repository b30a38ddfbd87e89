"""Answers to recent searches, kept per index revision: a popular search is computed once.

A search's answer depends only on its URL and on the index, whose revision (`search_state`)
changes in the transaction of every reindex. So an answer stored under (revision, URL) is
right for as long as the revision stays; a new revision simply misses. Pages are stored only
for anonymous visitors without flashed messages, whose page depends on nothing else.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import TypeVar

from flask import current_app
from sqlalchemy.orm import Session

from registry.search.facets import current_revision

T = TypeVar("T")

MAX_ENTRIES = 512


class AnswerCache:
    """A small least-recently-used map from (database, revision, kind, URL) to an answer."""

    def __init__(self, size: int = MAX_ENTRIES) -> None:
        self.size = size
        self._items: OrderedDict[tuple, object] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get_or_make(self, key: tuple, make: Callable[[], T]) -> T:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                self.hits += 1
                return self._items[key]  # type: ignore[return-value]
        value = make()  # outside the lock: two makers of one key both finish, one is kept
        with self._lock:
            self.misses += 1
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


answers = AnswerCache()
_seen: dict[str, tuple[int, float]] = {}


def answer_key(session: Session, kind: str, url: str) -> tuple:
    """The key of an answer: the database, the index revision, what is answered, the URL.

    The revision is read again once it is older than SEARCH_ANSWER_TTL seconds, so a burst of
    searches costs no database round trip; a change shows after at most that long.
    """
    database = str(session.get_bind().engine.url)
    ttl = current_app.config.get("SEARCH_ANSWER_TTL", 0)
    now = time.monotonic()
    held = _seen.get(database)
    if ttl > 0 and held is not None and now - held[1] < ttl:
        revision = held[0]
    else:
        revision = current_revision(session)
        _seen[database] = (revision, now)
    return (database, revision, kind, url)
