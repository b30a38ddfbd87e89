"""Pathway pictures: a credential's neighbourhood in the stacking graph as inline SVG."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the template helpers that draw pathways (filled in by the pathway work)."""
