"""Multi-row inserts for the bulk path, at the driver level: ``executemany`` on SQLite and
``COPY ... FROM STDIN`` on PostgreSQL (psycopg 3), other dialects through SQLAlchemy Core.
Rows are tuples in ``columns`` order; the caller owns the transaction."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import insert
from sqlalchemy.sql.schema import Table
from sqlmodel import Session

__all__ = ["insert_tuples"]


def insert_tuples(session: Session, table: Table, columns: Sequence[str],
                  rows: Sequence[tuple[Any, ...]]) -> None:
    if not rows:
        return
    conn = session.connection()
    cols = ", ".join(columns)
    dialect = conn.dialect.name
    if dialect == "sqlite":
        marks = ", ".join("?" for _ in columns)
        conn.exec_driver_sql(f"INSERT INTO {table.name} ({cols}) VALUES ({marks})",  # noqa: S608 - names are ours
                             list(rows))
    elif dialect == "postgresql" and conn.dialect.driver == "psycopg":
        raw = conn.connection.driver_connection
        assert raw is not None
        with raw.cursor() as cur, cur.copy(f"COPY {table.name} ({cols}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    else:
        session.execute(insert(table), [dict(zip(columns, r, strict=True)) for r in rows])
