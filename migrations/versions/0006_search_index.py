"""Search index: published credentials with facet values, full text on SQLite FTS5 or PostgreSQL

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 01:05:52.196835

`search_entries` holds one row per published credential (its published version), with the
text to search and the facet values; `search_subjects` and `search_languages` hold the
many-valued facets; `isced_fields` names the subject codes. The full-text index itself
depends on the database: on SQLite an external-content FTS5 table `search_fts` over
`search_entries`, kept in step by triggers; on PostgreSQL a generated, weighted `document`
tsvector column with a GIN index. Both stay out of the models (see migrations/env.py).
The index is filled from the credentials published when this runs.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# ISCED-F 2013 detailed fields, as registry/search/isced.py had them when this was written.
ISCED_FIELDS = (
    ("0413", "Management and administration"),
    ("0613", "Software and applications development and analysis"),
    ("0611", "Computer use"),
    ("0414", "Marketing and advertising"),
    ("0913", "Nursing and midwifery"),
    ("0114", "Teacher training with subject specialisation"),
    ("0412", "Finance, banking and insurance"),
    ("0612", "Database and network design and administration"),
    ("0411", "Accounting and taxation"),
    ("0417", "Work skills"),
    ("0912", "Medicine"),
    ("0111", "Education science"),
    ("1022", "Occupational health and safety"),
    ("0542", "Statistics"),
    ("0923", "Social work and counselling"),
    ("0231", "Language acquisition"),
    ("0313", "Psychology"),
    ("0714", "Electronics and automation"),
    ("0713", "Electricity and energy"),
    ("0732", "Building and civil engineering"),
    ("0113", "Teacher training without subject specialisation"),
    ("0914", "Medical diagnostic and treatment technology"),
    ("0421", "Law"),
    ("0211", "Audio-visual techniques and media production"),
    ("0715", "Mechanics and metal trades"),
    ("1013", "Hotel, restaurants and catering"),
    ("0416", "Wholesale and retail sales"),
    ("0915", "Therapy and rehabilitation"),
    ("0031", "Personal skills and development"),
    ("0541", "Mathematics"),
    ("0311", "Economics"),
    ("0921", "Care of the elderly and of disabled adults"),
    ("0916", "Pharmacy"),
    ("0212", "Fashion, interior and industrial design"),
    ("1041", "Transport services"),
    ("0521", "Environmental sciences"),
    ("0716", "Motor vehicles, ships and aircraft"),
    ("0922", "Child care and youth services"),
    ("0415", "Secretarial and office work"),
    ("1015", "Travel, tourism and leisure"),
    ("0511", "Biology"),
    ("0731", "Architecture and town planning"),
    ("1032", "Protection of persons and property"),
    ("0712", "Environmental protection technology"),
    ("0811", "Crop and livestock production"),
    ("1014", "Sports"),
    ("0321", "Journalism and reporting"),
    ("0215", "Music and performing arts"),
    ("0531", "Chemistry"),
    ("0312", "Political sciences and civics"),
    ("0314", "Sociology and cultural studies"),
    ("0232", "Literature and linguistics"),
    ("0021", "Literacy and numeracy"),
    ("0911", "Dental studies"),
    ("0721", "Food processing"),
    ("0711", "Chemical engineering and processes"),
    ("1012", "Hair and beauty services"),
    ("0533", "Physics"),
    ("0812", "Horticulture"),
    ("0322", "Library, information and archival studies"),
    ("0512", "Biochemistry"),
    ("0223", "Philosophy and ethics"),
    ("0222", "History and archaeology"),
    ("0213", "Fine arts"),
    ("0532", "Earth sciences"),
    ("0841", "Veterinary"),
    ("0821", "Forestry"),
    ("0722", "Materials (glass, paper, plastic and wood)"),
    ("0214", "Handicrafts"),
    ("0917", "Traditional and complementary medicine and therapy"),
    ("0221", "Religion and theology"),
    ("1011", "Domestic services"),
    ("0724", "Mining and extraction"),
    ("0723", "Textiles (clothes, footwear and leather)"),
    ("0522", "Natural environments and wildlife"),
    ("0112", "Training for pre-school teachers"),
    ("0831", "Fisheries"),
    ("1021", "Community sanitation"),
    ("0011", "Basic programmes and qualifications"),
    ("1031", "Military and defence"),
)

FTS_COLUMNS = "title, provider_name, subject_text, outcomes, description"

SQLITE_FTS = [
    # porter stems English words (nurse, nursing); remove_diacritics 2 folds accents.
    f"""CREATE VIRTUAL TABLE search_fts USING fts5({FTS_COLUMNS},
        content='search_entries', content_rowid='version_id',
        tokenize='porter unicode61 remove_diacritics 2')""",
    f"""CREATE TRIGGER search_entries_fts_insert AFTER INSERT ON search_entries BEGIN
        INSERT INTO search_fts(rowid, {FTS_COLUMNS}) VALUES (new.version_id, new.title,
            new.provider_name, new.subject_text, new.outcomes, new.description);
    END""",
    f"""CREATE TRIGGER search_entries_fts_delete AFTER DELETE ON search_entries BEGIN
        INSERT INTO search_fts(search_fts, rowid, {FTS_COLUMNS}) VALUES ('delete',
            old.version_id, old.title, old.provider_name, old.subject_text, old.outcomes,
            old.description);
    END""",
    f"""CREATE TRIGGER search_entries_fts_update AFTER UPDATE ON search_entries BEGIN
        INSERT INTO search_fts(search_fts, rowid, {FTS_COLUMNS}) VALUES ('delete',
            old.version_id, old.title, old.provider_name, old.subject_text, old.outcomes,
            old.description);
        INSERT INTO search_fts(rowid, {FTS_COLUMNS}) VALUES (new.version_id, new.title,
            new.provider_name, new.subject_text, new.outcomes, new.description);
    END""",
]

POSTGRESQL_FTS = [
    # Weights: title A, provider and subjects B, outcomes C, description D (ts_rank's order).
    """ALTER TABLE search_entries ADD COLUMN document tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('english', title), 'A')
        || setweight(to_tsvector('english', provider_name || ' ' || subject_text), 'B')
        || setweight(to_tsvector('english', outcomes), 'C')
        || setweight(to_tsvector('english', description), 'D')
    ) STORED""",
    "CREATE INDEX ix_search_entries_document ON search_entries USING gin (document)",
]

# Bands in ECTS (credits times the unit's rate) and in price, as registry/search/facets.py.
CREDITS_BAND = """CASE WHEN v.credits IS NULL THEN 'none'
    WHEN v.credits * u.ects_rate < 5 THEN '0-5' WHEN v.credits * u.ects_rate < 10 THEN '5-10'
    WHEN v.credits * u.ects_rate < 30 THEN '10-30' WHEN v.credits * u.ects_rate < 60 THEN '30-60'
    ELSE '60+' END"""
PRICE_BAND = """CASE WHEN v.price IS NULL THEN 'none' WHEN v.price = 0 THEN 'free'
    WHEN v.price < 100 THEN '0-100' WHEN v.price < 500 THEN '100-500'
    WHEN v.price < 1000 THEN '500-1000' ELSE '1000+' END"""


def _fill(dialect: str) -> None:
    """Index every credential published now, as registry/search/index.py does."""
    if dialect == "postgresql":
        elements = "json_array_elements_text"
        joined = "string_agg({}, ' ')"
    else:
        elements = "json_each"
        joined = "group_concat({}, ' ')"
    outcomes = f"(SELECT {joined.format('o.value')} FROM {elements}(v.learning_outcomes) AS o)"
    words = "s.value || coalesce(' ' || f.name, '')"
    subjects = (
        f"(SELECT {joined.format(words)}"
        f" FROM {elements}(v.subjects) AS s LEFT JOIN isced_fields AS f ON f.code = s.value)"
    )
    if dialect == "postgresql":
        outcomes = outcomes.replace("AS o)", "AS o(value))")
        subjects = subjects.replace("AS s LEFT", "AS s(value) LEFT")
    op.execute(
        f"""INSERT INTO search_entries (version_id, credential_id, provider_id, provider_name,
            title, description, outcomes, subject_text, type, level, credits, credit_unit,
            credits_ects, credits_band, price, price_band, participation_form)
        SELECT v.id, c.id, c.provider_id, p.name, v.title, v.description,
            coalesce({outcomes}, ''), coalesce({subjects}, ''), v.type, v.level, v.credits,
            v.credit_unit, v.credits * u.ects_rate, {CREDITS_BAND}, v.price, {PRICE_BAND},
            v.participation_form
        FROM credentials AS c
        JOIN credential_versions AS v ON v.id = c.published_version_id
        JOIN providers AS p ON p.id = c.provider_id
        JOIN credit_units AS u ON u.code = v.credit_unit"""
    )
    for table, column in (("search_subjects", "subjects"), ("search_languages", "languages")):
        each = f"{elements}(v.{column}) AS x" + ("(value)" if dialect == "postgresql" else "")
        op.execute(
            f"""INSERT INTO {table} (version_id, code)
            SELECT DISTINCT e.version_id, x.value
            FROM search_entries AS e JOIN credential_versions AS v ON v.id = e.version_id
            CROSS JOIN {each}"""
        )


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    fields = op.create_table(
        "isced_fields",
        sa.Column("code", sa.String(length=10), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_isced_fields")),
    )
    op.bulk_insert(fields, [{"code": code, "name": name} for code, name in ISCED_FIELDS])
    state = op.create_table(
        "search_state",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_search_state_single_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_search_state")),
    )
    op.bulk_insert(state, [{"id": 1, "revision": 0}])
    op.create_table(
        "search_entries",
        sa.Column("version_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("credential_id", sa.String(length=100), nullable=False),
        sa.Column("provider_id", sa.String(length=100), nullable=False),
        sa.Column("provider_name", sa.String(length=300), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("outcomes", sa.Text(), nullable=False),
        sa.Column("subject_text", sa.Text(), nullable=False),
        sa.Column("type", sa.String(length=50), nullable=False),
        sa.Column("level", sa.Integer(), nullable=True),
        sa.Column("credits", sa.Float(), nullable=True),
        sa.Column("credit_unit", sa.String(length=40), nullable=False),
        sa.Column("credits_ects", sa.Float(), nullable=True),
        sa.Column("credits_band", sa.String(length=10), nullable=False),
        sa.Column("price", sa.Float(), nullable=True),
        sa.Column("price_band", sa.String(length=10), nullable=False),
        sa.Column("participation_form", sa.String(length=20), nullable=True),
        sa.ForeignKeyConstraint(
            ["credential_id"],
            ["credentials.id"],
            name=op.f("fk_search_entries_credential_id_credentials"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["provider_id"],
            ["providers.id"],
            name=op.f("fk_search_entries_provider_id_providers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["credential_versions.id"],
            name=op.f("fk_search_entries_version_id_credential_versions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("version_id", name=op.f("pk_search_entries")),
        sa.UniqueConstraint("credential_id", name=op.f("uq_search_entries_credential_id")),
    )
    with op.batch_alter_table("search_entries", schema=None) as batch_op:
        batch_op.create_index("ix_search_entries_credits", ["credits_ects", "version_id"])
        batch_op.create_index("ix_search_entries_level", ["level", "version_id"])
        batch_op.create_index("ix_search_entries_price", ["price", "version_id"])
        batch_op.create_index("ix_search_entries_provider", ["provider_id", "version_id"])
        batch_op.create_index("ix_search_entries_type", ["type", "version_id"])
    for table in ("search_languages", "search_subjects"):
        op.create_table(
            table,
            sa.Column("version_id", sa.Integer(), nullable=False),
            sa.Column("code", sa.String(length=20), nullable=False),
            sa.ForeignKeyConstraint(
                ["version_id"],
                ["search_entries.version_id"],
                name=op.f(f"fk_{table}_version_id_search_entries"),
                ondelete="CASCADE",
            ),
            sa.PrimaryKeyConstraint("version_id", "code", name=op.f(f"pk_{table}")),
        )
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(f"ix_{table}_code", ["code", "version_id"])
    for statement in POSTGRESQL_FTS if dialect == "postgresql" else SQLITE_FTS:
        op.execute(statement)
    _fill(dialect)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX ix_search_entries_document")
    else:
        for name in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER search_entries_fts_{name}")
        op.execute("DROP TABLE search_fts")
    for table in ("search_subjects", "search_languages"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(f"ix_{table}_code")
        op.drop_table(table)
    with op.batch_alter_table("search_entries", schema=None) as batch_op:
        batch_op.drop_index("ix_search_entries_type")
        batch_op.drop_index("ix_search_entries_provider")
        batch_op.drop_index("ix_search_entries_price")
        batch_op.drop_index("ix_search_entries_level")
        batch_op.drop_index("ix_search_entries_credits")
    op.drop_table("search_entries")
    op.drop_table("search_state")
    op.drop_table("isced_fields")
