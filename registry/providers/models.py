"""Providers: the organisations that award credentials."""

from __future__ import annotations

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from registry.db import Base, Created, Slug, Updated


class Provider(Base):
    __tablename__ = "providers"

    id: Mapped[Slug] = mapped_column(primary_key=True)
    # "ctid" is a PostgreSQL system column, hence the column name.
    ctid: Mapped[str] = mapped_column("ce_ctid", String(40), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    country: Mapped[str] = mapped_column(String(2))
    url: Mapped[str | None] = mapped_column(String(500))
    email_domains: Mapped[list[str]] = mapped_column(default=list)
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[Created]
    updated_at: Mapped[Updated]

    def __repr__(self) -> str:
        return f"<Provider {self.id}>"
