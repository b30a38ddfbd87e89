"""Learners: wallets, imported badges, progress toward qualifications."""
