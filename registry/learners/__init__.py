"""Learners: wallets, imported badges, progress toward qualifications."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the wallet and progress pages and API (filled in by the wallet work)."""
