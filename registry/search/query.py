"""What a learner typed, made safe: words and phrases to find or exclude, and snippets.

Nothing the learner types reaches a full-text engine's query language as syntax. The text
is cut into words (letters and digits, with their combining marks); quoted words form a
phrase, a leading minus excludes a word or phrase, and everything else (operators, quotes,
brackets, colons, stars, NUL bytes, emoji) only separates words. Each back end then quotes
the words in its own syntax (registry/search/backends.py).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

MAX_QUERY_LENGTH = 500  # characters read from the query; the rest is ignored
MAX_TERMS = 12  # words or phrases to find, and as many to exclude
MAX_WORD_LENGTH = 100
# Joining words that would make every phrase fail on SQLite (which keeps them) and that
# PostgreSQL's English configuration drops anyway (AND, OR, NOT typed as operators too).
STOPWORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "by",
        "for",
        "from",
        "in",
        "into",
        "is",
        "it",
        "its",
        "of",
        "on",
        "or",
        "not",
        "the",
        "to",
        "with",
    ]
)
_WORD = re.compile(r"[^\W_]+(?:[\u0300-\u036f\u1ab0-\u1aff\u20d0-\u20ff]+[^\W_]*)*")
_CHUNK = re.compile(r'(-?)"([^"]*)"?|(-?)([^\s"]+)')


@dataclass(frozen=True)
class Terms:
    """The searchable part of a query: phrases (tuples of words) to find and to exclude."""

    text: str  # the query as read (cleaned), to show back to the learner
    find: tuple[tuple[str, ...], ...] = ()
    exclude: tuple[tuple[str, ...], ...] = ()

    @property
    def given(self) -> bool:
        """Whether the learner typed anything at all."""
        return bool(self.text)

    @property
    def searchable(self) -> bool:
        """Whether there is a word to look for or to exclude."""
        return bool(self.find or self.exclude)

    @property
    def words(self) -> tuple[str, ...]:
        return tuple(word for phrase in self.find for word in phrase)


def clean(text: str) -> str:
    """The query without control characters, composed (NFC), trimmed and bounded."""
    text = unicodedata.normalize("NFC", text[: MAX_QUERY_LENGTH * 2])
    text = "".join(" " if unicodedata.category(ch) in {"Cc", "Cs"} else ch for ch in text)
    text = " ".join(text.split())
    if len(text) > MAX_QUERY_LENGTH:  # cut at a space, so no word is cut short
        cut = text.rfind(" ", 0, MAX_QUERY_LENGTH + 1)
        text = text[: cut if cut > 0 else MAX_QUERY_LENGTH]
    return text


def words_of(text: str) -> list[str]:
    return [w.casefold()[:MAX_WORD_LENGTH] for w in _WORD.findall(text)]


def parse(text: str) -> Terms:
    """Cut a typed query into phrases to find and to exclude."""
    text = clean(text)
    find: list[tuple[str, ...]] = []
    exclude: list[tuple[str, ...]] = []
    for match in _CHUNK.finditer(text):
        quoted = match.group(2) is not None
        minus = match.group(1) if quoted else match.group(3)
        words = words_of(match.group(2) if quoted else match.group(4))
        if not quoted or len(words) == 1:
            words = [w for w in words if w not in STOPWORDS]
        if not words:
            continue
        target = exclude if minus else find
        phrase = tuple(words)
        if phrase not in target and len(target) < MAX_TERMS:
            target.append(phrase)
    return Terms(text=text, find=tuple(find), exclude=tuple(exclude))


# --- snippets -------------------------------------------------------------------------------

SNIPPET_LENGTH = 180


def _stem(word: str) -> str:
    """A prefix that catches the word's usual English endings (nurse, nursing, nurses)."""
    return word if len(word) <= 4 else word[: max(4, len(word) - 3)]


def snippet(text: str, terms: Terms) -> list[tuple[str, bool]]:
    """A window of `text` around the first word found, as (fragment, is_a_match) pairs."""
    text = " ".join(text.split())
    stems = sorted({_stem(w) for w in terms.words}, key=len, reverse=True)
    pattern = (
        re.compile(r"\b(?:" + "|".join(re.escape(s) for s in stems) + r")\w*", re.IGNORECASE)
        if stems
        else None
    )
    first = pattern.search(text) if pattern else None
    start = 0
    if first and first.start() > SNIPPET_LENGTH // 3:
        start = text.rfind(" ", 0, first.start() - SNIPPET_LENGTH // 3) + 1
    end = start + SNIPPET_LENGTH
    if end < len(text):
        end = text.rfind(" ", start, end) if " " in text[start:end] else end
    window = text[start:end]
    prefix = "… " if start > 0 else ""
    suffix = " …" if end < len(text) else ""
    pieces: list[tuple[str, bool]] = []
    at = 0
    for m in pattern.finditer(window) if pattern else ():
        if m.start() > at:
            pieces.append((window[at : m.start()], False))
        pieces.append((m.group(0), True))
        at = m.end()
    pieces.append((window[at:], False))
    if prefix:
        pieces.insert(0, (prefix, False))
    if suffix:
        pieces.append((suffix, False))
    return [(fragment, marked) for fragment, marked in pieces if fragment]
