"""The tables the kit keeps in every service's database: outbox and inbox."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
)

from services.kit.db import UtcDateTime


@dataclass(frozen=True)
class KitTables:
    """The outbox (events to publish) and inbox (messages already processed) of one service."""

    outbox: Table
    inbox: Table


def add_kit_tables(metadata: MetaData, prefix: str) -> KitTables:
    """Declare ``<prefix>_outbox`` and ``<prefix>_inbox`` in ``metadata``."""
    outbox = Table(
        f"{prefix}_outbox",
        metadata,
        Column(
            "position",
            BigInteger().with_variant(Integer, "sqlite"),
            primary_key=True,
            autoincrement=True,
        ),
        Column("message_id", String(64), nullable=False, unique=True),
        Column("subject", String(255), nullable=False),
        Column("payload", LargeBinary, nullable=False),
        Column("headers", JSON, nullable=False),
        Column("created_at", UtcDateTime(), nullable=False),
    )
    inbox = Table(
        f"{prefix}_inbox",
        metadata,
        Column("message_id", String(64), primary_key=True),
        Column("consumer", String(100), nullable=False),
        Column("processed_at", UtcDateTime(), nullable=False, index=True),
    )
    return KitTables(outbox=outbox, inbox=inbox)
