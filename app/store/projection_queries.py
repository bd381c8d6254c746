"""Projection queries declared once: the SQL, and the same filter and order in Python.

A unit of work keeps its changes in memory until it commits. A query answers from the database
and lays the unit's own changes over the result, filtered and ordered by the same declaration,
so nothing has to be written early (and nothing needs undoing if the unit then fails). Only
comparisons with a value and plain ascending orders are supported, matched to SQLite's
semantics: NULL never compares true and sorts first.
"""

from __future__ import annotations

import operator
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from pydantic import BaseModel
from sqlalchemy import bindparam, select

from app.store.compiled_sql import Row, Sql, compile_sql
from app.store.mapping import ProjectionMapping

_LAST = (2, 0)
"""Sort rank of a value the row does not have yet (a rowid assigned when it is written)."""


_OPERATORS: Final[dict[str, Any]] = {
    "=": operator.eq,
    "<>": operator.ne,
    ">=": operator.ge,
    "<=": operator.le,
}
"""The comparisons a ``Where`` can make, as Python operators (SQLAlchemy's take them too)."""


@dataclass(frozen=True, slots=True)
class Where:
    """``column = :param`` (or ``column = value``), or another comparison (``op``)."""

    column: str
    param: str | None = None
    value: Any = None
    op: str = "="

    def sql(self, columns: Any) -> Any:
        """The test as an SQLAlchemy expression on ``columns`` (a table's ``c``)."""
        target = bindparam(self.param) if self.param else self.value
        return columns[self.column].operate(_OPERATORS[self.op], target)


def eq(column: str, param: str | None = None) -> Where:
    """``column`` equals the value bound as ``param`` (default: the column's name)."""
    return Where(column, param or column)


def ne(column: str, value: Any) -> Where:
    """``column`` differs from a constant (and is not NULL)."""
    return Where(column, value=value, op="<>")


def between(column: str, low: str, high: str) -> tuple[Where, Where]:
    """``column`` from the value bound as ``low`` to the one bound as ``high`` (both included)."""
    return Where(column, low, op=">="), Where(column, high, op="<=")


@dataclass(frozen=True, slots=True, eq=False)
class Query[T: BaseModel]:
    """Projections of one kind matching every condition, in ascending ``order``."""

    mapping: ProjectionMapping[T]
    where: tuple[Where, ...] = ()
    order: tuple[str, ...] = ()
    sql: Sql = field(init=False)

    def __post_init__(self) -> None:
        columns = self.mapping.row.__table__.c
        tests = [test.sql(columns) for test in self.where]
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
            if not _OPERATORS[test.op](actual, expected):
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
