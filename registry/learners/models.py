"""A learner's wallet: the credentials they hold, one row per award."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, Boolean, CheckConstraint, Date, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from registry.db import Base, Created

if TYPE_CHECKING:
    from registry.auth.models import User
    from registry.credentials.models import Credential


class EntrySource:
    """Where a wallet entry came from."""

    MANUAL = "manual"  # added on the wallet page or through the API
    IMPORT = "import"  # part of an imported JSON list
    BADGE = "badge"  # a verified Open Badges credential (a later issue fills `badge`)

    ALL = (MANUAL, IMPORT, BADGE)


class WalletEntry(Base):
    """One award a learner holds, in the shape of a STACKING.md wallet entry.

    `badge` keeps the verifiable credential an entry was imported from (source "badge"), so
    the wallet can show and re-verify it; manual and imported entries leave it empty.
    `result` is a short string ("B+") or a number (72.5), as the learner gave it.
    """

    __tablename__ = "wallet_entries"
    __table_args__ = (
        CheckConstraint("source IN ('manual', 'import', 'badge')", name="source"),
        Index("ix_wallet_entries_user_earned", "user_id", "earned_on", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    credential_id: Mapped[str] = mapped_column(
        ForeignKey("credentials.id", ondelete="CASCADE"), index=True
    )
    earned_on: Mapped[dt.date] = mapped_column(Date)
    expires_on: Mapped[dt.date | None] = mapped_column(Date)
    # JSON keeps a number a number (result_min compares numbers; result_in compares like with like).
    result: Mapped[str | int | float | None] = mapped_column(JSON(none_as_null=True))
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)
    counted_toward: Mapped[list[str]] = mapped_column(JSON, default=list)
    source: Mapped[str] = mapped_column(String(20), default=EntrySource.MANUAL)
    badge: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    created_at: Mapped[Created]

    user: Mapped[User] = relationship()
    credential: Mapped[Credential] = relationship()

    def __repr__(self) -> str:
        return f"<WalletEntry {self.id} user={self.user_id} {self.credential_id} {self.earned_on}>"
