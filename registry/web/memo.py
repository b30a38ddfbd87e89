"""Remembering what was drawn or rendered for one catalogue revision, a bounded number of it."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from functools import wraps
from typing import Any

from flask import request, session
from flask_login import current_user


class Recent:
    """The `size` most recently used values by key; safe to share between request threads."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._lock = threading.Lock()
        self._held: OrderedDict[Hashable, Any] = OrderedDict()

    def get(self, key: Hashable) -> Any | None:
        with self._lock:
            value = self._held.get(key)
            if value is not None:
                self._held.move_to_end(key)
            return value

    def put(self, key: Hashable, value: Any) -> None:
        with self._lock:
            self._held[key] = value
            self._held.move_to_end(key)
            while len(self._held) > self.size:
                self._held.popitem(last=False)

    def __len__(self) -> int:
        return len(self._held)


# Rendered pages kept per catalogue revision (a credential page is some tens of kilobytes).
PAGES_KEPT = 1000


def for_visitors(
    pages: Callable[..., tuple[Recent, Hashable]],
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Serve a GET page to visitors who are not signed in from memory.

    `pages(**view_args)` gives the store of the catalogue revision in force (so a
    publication empties it) and a stamp of what else the page shows that may change between
    revisions (a provider's name, say). Only a plain page (a str: status 200) is kept; a
    visitor with messages waiting, or anyone signed in, gets the page rendered afresh.
    """

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if current_user.is_authenticated or session.get("_flashes"):
                return view(*args, **kwargs)
            store, stamp = pages(*args, **kwargs)
            key = (request.full_path, stamp)
            page = store.get(key)
            if page is None:
                page = view(*args, **kwargs)
                if not isinstance(page, str):
                    return page
                store.put(key, page)
            return page

        return wrapped

    return decorate
