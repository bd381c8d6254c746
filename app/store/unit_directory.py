"""The units of a store with their ids, read without opening it for writing.

``sitesync units`` prints them for the commands that take a unit id (``audit export --unit``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from app.domain.values import text_key
from app.store.reading import open_store_for_reading

_UNITS = """
SELECT s.name, e.unit_number, e.id, e.status, COALESCE(c.name, '')
FROM elevators AS e
JOIN sites AS s ON s.id = e.site_id
LEFT JOIN customers AS c ON c.id = s.customer_id
"""


@dataclass(frozen=True, slots=True)
class UnitLine:
    """One unit as listed: where it is, its number, its id and status."""

    site: str
    unit_number: str
    unit_id: str
    status: str
    customer: str


async def list_units(path: Path, *, site: str | None = None) -> list[UnitLine]:
    """Every unit of the store at ``path`` (of the site named ``site`` only, if given).

    Sorted by site, then unit number; the site's name matches however it is capitalized.
    """
    async with await open_store_for_reading(path) as store, store.read_db() as db:
        if site is None:
            rows = await db.fetchall(_UNITS)
        else:
            rows = await db.fetchall(_UNITS + " WHERE s.name_key = ?", (text_key(site),))
    lines = [UnitLine(str(s), str(n), str(i), str(st), str(c)) for s, n, i, st, c in rows]
    lines.sort(key=lambda line: (text_key(line.site), text_key(line.unit_number)))
    return lines


async def site_names(path: Path) -> list[str]:
    """The names of every site of the store at ``path``, sorted."""
    async with await open_store_for_reading(path) as store, store.read_db() as db:
        rows = await db.fetchall("SELECT name FROM sites")
    return sorted((str(name) for (name,) in rows), key=text_key)
