"""Initial schema: accounts, providers, credentials, audit

Revision ID: 0001
Revises:
Create Date: 2026-11-28 21:24:17.513899
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "credit_units",
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("ects_rate", sa.Float(), nullable=False),
        sa.CheckConstraint("ects_rate >= 0", name=op.f("ck_credit_units_rate_not_negative")),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_credit_units")),
    )
    op.create_table(
        "providers",
        sa.Column("id", sa.String(length=100), nullable=False),
        sa.Column("ce_ctid", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("url", sa.String(length=500), nullable=True),
        sa.Column("email_domains", sa.JSON(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_providers")),
        sa.UniqueConstraint("ce_ctid", name=op.f("uq_providers_ce_ctid")),
    )
    op.create_table(
        "credentials",
        sa.Column("id", sa.String(length=100), nullable=False),
        sa.Column("ce_ctid", sa.String(length=40), nullable=False),
        sa.Column("provider_id", sa.String(length=100), nullable=False),
        sa.Column("current_version_id", sa.Integer(), nullable=True),
        sa.Column("published_version_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["provider_id"], ["providers.id"], name=op.f("fk_credentials_provider_id_providers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credentials")),
        sa.UniqueConstraint("ce_ctid", name=op.f("uq_credentials_ce_ctid")),
    )
    with op.batch_alter_table("credentials", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_credentials_provider_id"), ["provider_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_credentials_published_version_id"),
            ["published_version_id"],
            unique=False,
        )

    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("password_hash", sa.String(length=300), nullable=False),
        sa.Column("provider_id", sa.String(length=100), nullable=True),
        sa.Column("expertise", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["provider_id"], ["providers.id"], name=op.f("fk_users_provider_id_providers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("email", name=op.f("uq_users_email")),
    )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_users_provider_id"), ["provider_id"], unique=False)

    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("prefix", sa.String(length=12), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_api_tokens_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_tokens_token_hash")),
    )
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_api_tokens_user_id"), ["user_id"], unique=False)

    op.create_table(
        "audit_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor_role", sa.String(length=20), nullable=True),
        sa.Column("action", sa.String(length=60), nullable=False),
        sa.Column("object_type", sa.String(length=40), nullable=False),
        sa.Column("object_id", sa.String(length=100), nullable=False),
        sa.Column("from_state", sa.String(length=30), nullable=True),
        sa.Column("to_state", sa.String(length=30), nullable=True),
        sa.Column("before", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("after", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["users.id"],
            name=op.f("fk_audit_events_actor_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_events")),
    )
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.create_index(
            "ix_audit_events_object", ["object_type", "object_id", "id"], unique=False
        )

    op.create_table(
        "credential_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("credential_id", sa.String(length=100), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=30), nullable=False),
        sa.Column("type", sa.String(length=50), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("learning_outcomes", sa.JSON(), nullable=False),
        sa.Column("credits", sa.Float(), nullable=True),
        sa.Column("credit_unit", sa.String(length=40), nullable=False),
        sa.Column("level", sa.Integer(), nullable=True),
        sa.Column("subjects", sa.JSON(), nullable=False),
        sa.Column("languages", sa.JSON(), nullable=False),
        sa.Column("assessment_type", sa.String(length=200), nullable=True),
        sa.Column("participation_form", sa.String(length=20), nullable=True),
        sa.Column("quality_assurance", sa.String(length=300), nullable=True),
        sa.Column("price", sa.Float(), nullable=True),
        sa.Column("duration", sa.String(length=100), nullable=True),
        sa.Column("url", sa.String(length=500), nullable=True),
        sa.Column("valid_years", sa.Integer(), nullable=True),
        sa.Column("prerequisites", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("requirements", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("max_reuse", sa.Integer(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "participation_form IS NULL OR participation_form IN ('online', 'on-site', 'blended')",
            name=op.f("ck_credential_versions_known_participation_form"),
        ),
        sa.CheckConstraint(
            "status IN ('draft', 'submitted', 'in_review', 'decision_pending', 'revisions_requested', 'published', 'rejected', 'withdrawn', 'suspended', 'retired', 'superseded')",
            name=op.f("ck_credential_versions_known_status"),
        ),
        sa.CheckConstraint(
            "credits >= 0", name=op.f("ck_credential_versions_credits_not_negative")
        ),
        sa.CheckConstraint(
            "level IS NULL OR level BETWEEN 1 AND 8", name=op.f("ck_credential_versions_eqf_level")
        ),
        sa.CheckConstraint(
            "max_reuse IS NULL OR max_reuse >= 1",
            name=op.f("ck_credential_versions_max_reuse_positive"),
        ),
        sa.CheckConstraint(
            "price IS NULL OR price >= 0", name=op.f("ck_credential_versions_price_not_negative")
        ),
        sa.CheckConstraint(
            "valid_years IS NULL OR valid_years >= 1",
            name=op.f("ck_credential_versions_valid_years_positive"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_credential_versions_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["credential_id"],
            ["credentials.id"],
            name=op.f("fk_credential_versions_credential_id_credentials"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["credit_unit"],
            ["credit_units.code"],
            name=op.f("fk_credential_versions_credit_unit_credit_units"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credential_versions")),
        sa.UniqueConstraint(
            "credential_id", "number", name=op.f("uq_credential_versions_credential_id")
        ),
    )
    with op.batch_alter_table("credential_versions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_credential_versions_credential_id"), ["credential_id"], unique=False
        )
        batch_op.create_index("ix_credential_versions_status", ["status"], unique=False)

    # credentials <-> credential_versions refer to each other: these two keys come after both.
    with op.batch_alter_table("credentials", schema=None) as batch_op:
        batch_op.create_foreign_key(
            op.f("fk_credentials_current_version_id_credential_versions"),
            "credential_versions",
            ["current_version_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_foreign_key(
            op.f("fk_credentials_published_version_id_credential_versions"),
            "credential_versions",
            ["published_version_id"],
            ["id"],
            ondelete="SET NULL",
        )

    op.create_table(
        "recognitions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("from_id", sa.String(length=100), nullable=False),
        sa.Column("to_id", sa.String(length=100), nullable=False),
        sa.Column("by_id", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["by_id"], ["providers.id"], name=op.f("fk_recognitions_by_id_providers")
        ),
        sa.ForeignKeyConstraint(
            ["from_id"],
            ["credentials.id"],
            name=op.f("fk_recognitions_from_id_credentials"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["to_id"],
            ["credentials.id"],
            name=op.f("fk_recognitions_to_id_credentials"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recognitions")),
        sa.UniqueConstraint("from_id", "to_id", name=op.f("uq_recognitions_from_id")),
    )
    with op.batch_alter_table("recognitions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_recognitions_from_id"), ["from_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_recognitions_to_id"), ["to_id"], unique=False)

    op.bulk_insert(
        sa.table("credit_units", sa.column("code", sa.String), sa.column("ects_rate", sa.Float)),
        [{"code": "ECTS", "ects_rate": 1.0}],
    )
    op.create_table(
        "user_roles",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.CheckConstraint(
            "role IN ('admin', 'coordinator', 'reviewer', 'provider', 'learner')",
            name=op.f("ck_user_roles_known_role"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_user_roles_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", "role", name=op.f("pk_user_roles")),
    )
    op.create_table(
        "credential_edges",
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("component_id", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.CheckConstraint(
            "kind IN ('requirement', 'prerequisite')", name=op.f("ck_credential_edges_known_kind")
        ),
        sa.ForeignKeyConstraint(
            ["component_id"],
            ["credentials.id"],
            name=op.f("fk_credential_edges_component_id_credentials"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["credential_versions.id"],
            name=op.f("fk_credential_edges_version_id_credential_versions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "version_id", "component_id", "kind", name=op.f("pk_credential_edges")
        ),
    )
    with op.batch_alter_table("credential_edges", schema=None) as batch_op:
        batch_op.create_index(
            "ix_credential_edges_component", ["component_id", "kind"], unique=False
        )

    _create_audit_guards()


def downgrade() -> None:
    _drop_audit_guards()
    with op.batch_alter_table("credential_edges", schema=None) as batch_op:
        batch_op.drop_index("ix_credential_edges_component")

    op.drop_table("credential_edges")
    op.drop_table("user_roles")
    with op.batch_alter_table("recognitions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_recognitions_to_id"))
        batch_op.drop_index(batch_op.f("ix_recognitions_from_id"))

    op.drop_table("recognitions")
    with op.batch_alter_table("credential_versions", schema=None) as batch_op:
        batch_op.drop_index("ix_credential_versions_status")
        batch_op.drop_index(batch_op.f("ix_credential_versions_credential_id"))

    with op.batch_alter_table("credentials", schema=None) as batch_op:
        batch_op.drop_constraint(
            op.f("fk_credentials_published_version_id_credential_versions"), type_="foreignkey"
        )
        batch_op.drop_constraint(
            op.f("fk_credentials_current_version_id_credential_versions"), type_="foreignkey"
        )
    op.drop_table("credential_versions")
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_events_object")

    op.drop_table("audit_events")
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_tokens_user_id"))

    op.drop_table("api_tokens")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_users_provider_id"))

    op.drop_table("users")
    with op.batch_alter_table("credentials", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_credentials_published_version_id"))
        batch_op.drop_index(batch_op.f("ix_credentials_provider_id"))

    op.drop_table("credentials")
    op.drop_table("providers")
    op.drop_table("credit_units")


# The audit record is append-only: the database itself refuses UPDATE and DELETE.
def _create_audit_guards() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            """
            CREATE FUNCTION audit_events_append_only() RETURNS trigger AS $$
            BEGIN
                RAISE EXCEPTION 'audit events are append-only';
            END;
            $$ LANGUAGE plpgsql
            """
        )
        op.execute(
            "CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events "
            "FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()"
        )
        op.execute(
            "CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events "
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only()"
        )
    else:
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_events_no_{verb.lower()} BEFORE {verb} ON audit_events "
                "BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END"
            )


def _drop_audit_guards() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_truncate ON audit_events")
        op.execute("DROP TRIGGER IF EXISTS audit_events_append_only ON audit_events")
        op.execute("DROP FUNCTION IF EXISTS audit_events_append_only()")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_delete")
