"""Read a table or a SELECT from the SQL database named by ``MLOPS_DATA_DATABASE_URL`` (a SQLAlchemy
URL; the only place the connection comes from, so a job spec never carries credentials).

A table name is checked as ``name`` or ``schema.name`` of letters, digits and underscores and quoted
by SQLAlchemy; a query must be one SELECT (or WITH … SELECT) statement. Reads run in a transaction
that is rolled back, read-only where the database supports it.
"""

from __future__ import annotations

import os
import re

import pandas as pd

from ml.data.spec import DataError, DataSpec

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_SELECT = re.compile(r"^\s*(select|with)\b", re.IGNORECASE)


def read_frame(spec: DataSpec) -> pd.DataFrame:
    """The rows of ``spec.query`` or of the table ``spec.path``; raises ``DataError`` when the URL is
    missing, the name or query is not allowed, the database refuses, or the result is empty."""
    import sqlalchemy as sa

    url = os.environ.get("MLOPS_DATA_DATABASE_URL")
    if not url:
        raise DataError(
            f"{spec.where}: no database URL is set: an admin sets database_url in Settings, data sources "
            "(MLOPS_DATA_DATABASE_URL when the trainer runs on its own)"
        )
    statement = _statement(spec)
    try:
        engine = sa.create_engine(url)
    except (sa.exc.ArgumentError, ImportError) as error:
        raise DataError(f"{spec.where}: MLOPS_DATA_DATABASE_URL is not usable ({error})") from None
    try:
        with engine.connect() as connection, connection.begin() as transaction:
            if engine.dialect.name == "postgresql":
                connection.exec_driver_sql("SET TRANSACTION READ ONLY")
            frame = pd.read_sql(statement, connection)
            transaction.rollback()
    except (sa.exc.SQLAlchemyError, pd.errors.DatabaseError) as error:
        raise DataError(f"{spec.where}: the database refused the read ({_reason(error)})") from None
    finally:
        engine.dispose()
    if frame.empty:
        raise DataError(f"{spec.where}: the table or query returned no rows")
    return frame


def _statement(spec: DataSpec):  # type: ignore[no-untyped-def]
    import sqlalchemy as sa

    if spec.query:
        query = spec.query.strip().rstrip(";")
        if not _SELECT.match(query) or ";" in query:
            raise DataError(f"{spec.where}: only one SELECT statement is allowed")
        return sa.text(query)
    parts = spec.path.split(".")
    if len(parts) > 2 or not all(_IDENTIFIER.match(part) for part in parts):
        raise DataError(
            f"{spec.where}: {spec.path!r} is not a table name (letters, digits and underscores, "
            "optionally schema.table)"
        )
    schema, name = (parts[0], parts[1]) if len(parts) == 2 else (None, parts[0])
    return sa.select(sa.text("*")).select_from(sa.table(name, schema=schema))


def _reason(error: BaseException) -> str:
    """The driver's own first line (``relation "x" does not exist``), without SQLAlchemy's wrapping."""
    cause = error.__cause__ if isinstance(error, pd.errors.DatabaseError) and error.__cause__ else error
    original = getattr(cause, "orig", None) or cause
    return str(original).strip().splitlines()[0] if str(original).strip() else type(original).__name__
