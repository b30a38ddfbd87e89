"""Benchmarks at registry scale: synthetic catalogues, import, evaluation and memory."""
