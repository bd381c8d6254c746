"""Projection queries declared once: the SQL, and the same filter and order in Python.

A unit of work keeps its changes in memory until it commits. A query answers from the database
and lays the unit's own changes over the result, filtered and ordered by the same declaration,
so nothing has to be written early (and nothing needs undoing if the unit then fails). Only
equality tests and plain ascending orders are supported, matched to SQLite's semantics: NULL
never equals anything and sorts first.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel
from sqlalchemy import bindparam, select

from app.store.mapping import ProjectionMapping
from app.store.sql import Row, Sql, compile_sql

_LAST = (2, 0)
"""Sort rank of a value the row does not have yet (a rowid assigned when it is written)."""


@dataclass(frozen=True, slots=True)
class Where:
    """``column = :param`` (or ``column = value``); ``negate`` makes it ``<>``."""

    column: str
    param: str | None = None
    value: Any = None
    negate: bool = False


def eq(column: str, param: str | None = None) -> Where:
    """``column`` equals the value bound as ``param`` (default: the column's name)."""
    return Where(column, param or column)


def ne(column: str, value: Any) -> Where:
    """``column`` differs from a constant (and is not NULL)."""
    return Where(column, value=value, negate=True)


@dataclass(frozen=True, slots=True, eq=False)
class Query[T: BaseModel]:
    """Projections of one kind matching every condition, in ascending ``order``."""

    mapping: ProjectionMapping[T]
    where: tuple[Where, ...] = ()
    order: tuple[str, ...] = ()
    sql: Sql = field(init=False)

    def __post_init__(self) -> None:
        columns = self.mapping.row.__table__.c
        tests = []
        for test in self.where:
            target = bindparam(test.param) if test.param else test.value
            column = columns[test.column]
            tests.append(column != target if test.negate else column == target)
        ordered = [columns[name] for name in self.order]
        key = columns[self.mapping.key]
        statement = select(columns.doc, key, *ordered).where(*tests).order_by(*ordered)
        object.__setattr__(self, "sql", compile_sql(statement))

    def matches(self, row: Mapping[str, Any], values: Mapping[str, Any]) -> bool:
        """Whether a row (``ProjectionMapping.row``) passes every condition."""
        for test in self.where:
            actual = row[test.column]
            if actual is None:
                return False
            expected = values[test.param] if test.param else test.value
            if (actual == expected) == test.negate:
                return False
        return True

    def sort_key(self, row: Mapping[str, Any]) -> tuple[tuple[int, Any], ...]:
        """The ORDER BY key of an in-memory row."""
        return tuple(_rank(row[name]) if name in row else _LAST for name in self.order)

    def stored_sort_key(self, row: Row) -> tuple[tuple[int, Any], ...]:
        """The ORDER BY key of a row the SQL returned (doc, key, then the order columns)."""
        return tuple(_rank(value) for value in row[2:])


def _rank(value: Any) -> tuple[int, Any]:
    return (0, 0) if value is None else (1, value)
