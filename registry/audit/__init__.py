"""The append-only audit record of every change."""
