"""Catalogue revision for reloading the stacking catalogue

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 21:27:15.627349
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "catalogue_state",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_catalogue_state_single_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalogue_state")),
    )
    op.bulk_insert(
        sa.table("catalogue_state", sa.column("id", sa.Integer), sa.column("revision", sa.Integer)),
        [{"id": 1, "revision": 0}],
    )


def downgrade() -> None:
    op.drop_table("catalogue_state")
