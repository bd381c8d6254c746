"""SQLite schema of the witness state: cosigned checkpoints and fork alarms.

- ``sync_witnesses``: per device (this one and each colleague) the newest checkpoint it
  cosigned, as the server's signed note with the device's cosignature line. This device's own
  row is ``sent`` once the server answered its upload.
- ``sync_fork_alarms``: two signed checkpoints that are not one history, kept as evidence.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.store.schema import ID, Base, UtcTimestamp


class WitnessRow(Base):
    """The newest checkpoint a device cosigned."""

    __tablename__ = "sync_witnesses"

    device_id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    own: Mapped[bool] = mapped_column(Boolean)
    origin: Mapped[str] = mapped_column(Text)
    tree_size: Mapped[int] = mapped_column(Integer)
    root_hash: Mapped[bytes] = mapped_column(LargeBinary)
    note: Mapped[str] = mapped_column(Text)
    """The server's signed note with the device's cosignature line."""
    sent: Mapped[bool] = mapped_column(Boolean)
    recorded_at: Mapped[datetime] = mapped_column(UtcTimestamp)


class ForkAlarmRow(Base):
    """Two signed checkpoints that cannot both be true: the evidence of a split view."""

    __tablename__ = "sync_fork_alarms"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    detected_at: Mapped[datetime] = mapped_column(UtcTimestamp)
    detail: Mapped[str] = mapped_column(Text)
    first_note: Mapped[str] = mapped_column(Text)
    second_note: Mapped[str] = mapped_column(Text)
