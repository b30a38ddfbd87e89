"""The demo data: a realistic catalogue and one account per role (`flask seed-demo`)."""
