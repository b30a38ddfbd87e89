"""The search index: one row per published credential, with its facet values and its text.

Derived data, rebuilt from credentials by `registry.search.index`; never edited by hand. The
full-text index proper is not in the models because it depends on the database: an FTS5
table kept in step by triggers on SQLite, a generated tsvector column with a GIN index on
PostgreSQL (both made by migration 0006 and left out of autogenerate by migrations/env.py).
"""

from __future__ import annotations

from sqlalchemy import CheckConstraint, Float, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from registry.db import Base, Slug


class SubjectField(Base):
    """An ISCED-F 2013 detailed field: what a subject code means, for the text and the facets."""

    __tablename__ = "isced_fields"

    code: Mapped[str] = mapped_column(String(10), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))

    def __repr__(self) -> str:
        return f"<SubjectField {self.code} {self.name}>"


class SearchEntry(Base):
    """A published credential as search sees it (keyed by its published version)."""

    __tablename__ = "search_entries"
    __table_args__ = (
        Index("ix_search_entries_provider", "provider_id", "version_id"),
        Index("ix_search_entries_type", "type", "version_id"),
        Index("ix_search_entries_level", "level", "version_id"),
        Index("ix_search_entries_credits", "credits_ects", "version_id"),
        Index("ix_search_entries_price", "price", "version_id"),
    )

    # The rowid of the FTS5 table on SQLite; grows with every new published version.
    version_id: Mapped[int] = mapped_column(
        ForeignKey("credential_versions.id", ondelete="CASCADE"),
        primary_key=True,
        autoincrement=False,
    )
    credential_id: Mapped[Slug] = mapped_column(
        ForeignKey("credentials.id", ondelete="CASCADE"), unique=True
    )
    provider_id: Mapped[Slug] = mapped_column(ForeignKey("providers.id", ondelete="CASCADE"))
    provider_name: Mapped[str] = mapped_column(String(300))
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text)
    outcomes: Mapped[str] = mapped_column(Text)
    subject_text: Mapped[str] = mapped_column(Text)
    type: Mapped[str] = mapped_column(String(50))
    level: Mapped[int | None]
    credits: Mapped[float | None] = mapped_column(Float)
    credit_unit: Mapped[str] = mapped_column(String(40))
    credits_ects: Mapped[float | None] = mapped_column(Float)
    credits_band: Mapped[str] = mapped_column(String(10))
    price: Mapped[float | None] = mapped_column(Float)
    price_band: Mapped[str] = mapped_column(String(10))
    participation_form: Mapped[str | None] = mapped_column(String(20))

    def __repr__(self) -> str:
        return f"<SearchEntry {self.credential_id} v{self.version_id}>"


class SearchSubject(Base):
    """One subject code of an indexed credential (subjects are a many-valued facet)."""

    __tablename__ = "search_subjects"
    __table_args__ = (Index("ix_search_subjects_code", "code", "version_id"),)

    version_id: Mapped[int] = mapped_column(
        ForeignKey("search_entries.version_id", ondelete="CASCADE"), primary_key=True
    )
    code: Mapped[str] = mapped_column(String(20), primary_key=True)

    def __repr__(self) -> str:
        return f"<SearchSubject v{self.version_id} {self.code}>"


class SearchLanguage(Base):
    """One language of an indexed credential (languages are a many-valued facet)."""

    __tablename__ = "search_languages"
    __table_args__ = (Index("ix_search_languages_code", "code", "version_id"),)

    version_id: Mapped[int] = mapped_column(
        ForeignKey("search_entries.version_id", ondelete="CASCADE"), primary_key=True
    )
    code: Mapped[str] = mapped_column(String(20), primary_key=True)

    def __repr__(self) -> str:
        return f"<SearchLanguage v{self.version_id} {self.code}>"


class SearchState(Base):
    """One row whose revision grows whenever the search index changes.

    Each app server keeps the facet columns of the whole index in memory and reloads them
    when the revision it holds is no longer the database's.
    """

    __tablename__ = "search_state"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    revision: Mapped[int] = mapped_column(default=0)

    def __repr__(self) -> str:
        return f"<SearchState revision={self.revision}>"
