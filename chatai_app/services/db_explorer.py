"""A read-only look into the database for platform admins: tables with row counts and sizes, and one table's rows a
page at a time with per-column filters. No free SQL: table and column names are checked against the catalogue and
quoted, values are bound; every query runs in a READ ONLY transaction. Secrets and tokens are masked."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlmodel.ext.asyncio.session import AsyncSession

from chatai_app.services.errors import NotFound, ValidationFailed

MASK = "••••••"
SECRET_COLUMN = re.compile(r"(password|secret|token|_hash$|hash$|encrypted|api_key|totp|code_hash|signature)", re.I)
# Columns that are not named like secrets but carry one-time links or private e-mail bodies.
MASKED_COLUMNS = {("email_outbox", "body_text"), ("email_outbox", "body_html")}
EXACT_COUNT_BELOW = 200_000
PAGE_MAX = 200
CELL_MAX = 300


@dataclass(frozen=True)
class TableInfo:
    name: str
    rows: int
    estimated: bool
    size_bytes: int
    size: str


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    masked: bool


@dataclass(frozen=True)
class RowsPage:
    table: str
    columns: list[Column]
    rows: list[list[str]]
    page: int
    page_size: int
    total: int


def is_masked(table: str, column: str) -> bool:
    return bool(SECRET_COLUMN.search(column)) or (table, column) in MASKED_COLUMNS


async def _read_only(session: AsyncSession) -> None:
    await session.exec(sa.text("SET TRANSACTION READ ONLY"))  # type: ignore[call-overload]


async def list_tables(*, session: AsyncSession) -> list[TableInfo]:
    await _read_only(session)
    rows = (
        await session.exec(
            sa.text(  # type: ignore[call-overload]
                "SELECT c.relname, c.reltuples::bigint, pg_total_relation_size(c.oid), "
                "pg_size_pretty(pg_total_relation_size(c.oid)) "
                "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') ORDER BY c.relname"
            )
        )
    ).all()
    tables = []
    for name, estimate, size_bytes, size in rows:
        if estimate < EXACT_COUNT_BELOW:
            count = (await session.exec(sa.text(f'SELECT count(*) FROM public."{name}"'))).one()[0]  # type: ignore[call-overload]
            tables.append(TableInfo(name, int(count), False, int(size_bytes), size))
        else:
            tables.append(TableInfo(name, int(estimate), True, int(size_bytes), size))
    return tables


async def _columns(session: AsyncSession, table: str) -> list[Column]:
    rows = (
        await session.exec(
            sa.text(  # type: ignore[call-overload]
                "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = 'public' "
                "AND table_name = :table ORDER BY ordinal_position"
            ).bindparams(table=table)
        )
    ).all()
    if not rows:
        raise NotFound("No such table")
    return [Column(name, kind, is_masked(table, name)) for name, kind in rows]


async def _order_by(session: AsyncSession, table: str, columns: list[Column]) -> str:
    keys = (
        await session.exec(
            sa.text(  # type: ignore[call-overload]
                "SELECT a.attname FROM pg_index i "
                "JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) "
                "WHERE i.indrelid = ('public.' || quote_ident(:table))::regclass AND i.indisprimary"
            ).bindparams(table=table)
        )
    ).all()
    names = [k[0] for k in keys] or (["created_at"] if any(c.name == "created_at" for c in columns) else [])
    return ", ".join(f'"{n}" DESC' for n in names) or "1"


def _cell(value: Any) -> str:
    if value is None:
        return "∅"
    text = value.isoformat() if hasattr(value, "isoformat") else str(value)
    return text if len(text) <= CELL_MAX else text[:CELL_MAX] + "…"


async def rows(
    *, session: AsyncSession, table: str, page: int = 1, page_size: int = 50, filters: dict[str, str] | None = None
) -> RowsPage:
    """A page of rows, newest first by primary key; `filters` maps a column to text it must contain (case-insensitive).
    Masked columns can be neither shown nor filtered."""
    await _read_only(session)
    columns = await _columns(session, table)
    by_name = {c.name: c for c in columns}
    page, page_size = max(page, 1), min(max(page_size, 1), PAGE_MAX)
    where, params = [], {}
    for i, (name, value) in enumerate((filters or {}).items()):
        if not value:
            continue
        column = by_name.get(name)
        if column is None:
            raise ValidationFailed({name: "No such column"})
        if column.masked:
            raise ValidationFailed({name: "Secret columns cannot be filtered"})
        where.append(f'CAST("{name}" AS text) ILIKE :f{i}')
        params[f"f{i}"] = "%" + value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    clause = (" WHERE " + " AND ".join(where)) if where else ""
    total = (await session.exec(sa.text(f'SELECT count(*) FROM public."{table}"{clause}').bindparams(**params))).one()[
        0
    ]  # type: ignore[call-overload]
    order = await _order_by(session, table, columns)
    selected = ", ".join(f'"{c.name}"' for c in columns)
    result = await session.exec(
        sa.text(  # type: ignore[call-overload]
            f'SELECT {selected} FROM public."{table}"{clause} ORDER BY {order} LIMIT :limit OFFSET :offset'
        ).bindparams(**params, limit=page_size, offset=(page - 1) * page_size)
    )
    data = [
        [MASK if c.masked and v is not None else _cell(v) for c, v in zip(columns, row, strict=True)]
        for row in result.all()
    ]
    return RowsPage(table, columns, data, page, page_size, int(total))
