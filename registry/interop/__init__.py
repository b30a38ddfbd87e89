"""Interchange: catalogue files in and out (and later Open Badges, CTDL and signing)."""
