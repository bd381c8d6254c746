"""One generic mapping between a pydantic projection and its row: typed columns plus ``doc``.

A column takes the field of the same name from the model's JSON form (``model_dump(mode="json")``:
ids and enums as text, dates ISO, timestamps canonical UTC, decimals as strings: exactly what the
typed columns store) unless the mapping derives it from that form. ``doc`` holds the same JSON
form serialized (byte for byte what ``model_dump_json()`` writes) and is the only thing read
back (``model_validate_json``), so the mapping is exact by construction and new model fields
need no mapping code.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any, Final

from pydantic import BaseModel
from pydantic_core import to_json
from sqlalchemy import bindparam, select
from sqlalchemy.dialects.sqlite import insert

from app.domain.entities import Customer, Elevator, Organization, Site, StatusChange, User
from app.domain.events import Rejection
from app.domain.values import text_key
from app.domain.work import Deficiency, Incident, Inspection, Visit
from app.store.compiled_sql import Sql, compile_sql
from app.store.projections import (
    CustomerRow,
    DeficiencyRow,
    ElevatorRow,
    IncidentRow,
    InspectionRow,
    OrganizationRow,
    RejectionRow,
    SiteRow,
    StatusChangeRow,
    UserRow,
    VisitRow,
)
from app.store.schema import Base, EntityHeadRow

type Extract = Callable[[dict[str, Any]], Any]
"""Takes the model's JSON form, returns one column's value."""


@dataclass(frozen=True, slots=True, eq=False)
class ProjectionMapping[T: BaseModel]:
    """How one projection model is stored: its row class, key and derived columns.

    Compared and hashed by identity: mappings are module constants used as cache keys.
    """

    model: type[T]
    row: type[Base]
    key: str = "id"
    derived: Mapping[str, Extract] = field(default_factory=dict)
    columns: tuple[str, ...] = field(init=False)
    upsert: Sql = field(init=False)
    get: Sql = field(init=False)
    get_with_heads: Sql = field(init=False)
    all_keys: Sql = field(init=False)
    _extract: tuple[Extract, ...] = field(init=False)

    def __post_init__(self) -> None:
        columns = self.row.__table__.c
        # an INTEGER primary key other than the key is a rowid the database assigns
        names = tuple(c.name for c in columns if not (c.primary_key and c.name != self.key))
        statement = insert(self.row).values({name: bindparam(name) for name in names})
        upsert = statement.on_conflict_do_update(
            index_elements=[self.key],
            set_={name: statement.excluded[name] for name in names if name != self.key},
        )
        get = select(columns.doc).where(columns[self.key] == bindparam("key"))
        heads = select(EntityHeadRow.hashes).where(EntityHeadRow.entity_id == bindparam("key"))
        both = select(get.scalar_subquery(), heads.scalar_subquery())
        extract = tuple(self._extractor(name) for name in names)
        object.__setattr__(self, "columns", names)
        object.__setattr__(self, "upsert", compile_sql(upsert))
        object.__setattr__(self, "get", compile_sql(get))
        object.__setattr__(self, "get_with_heads", compile_sql(both))
        object.__setattr__(self, "all_keys", compile_sql(select(columns[self.key])))
        object.__setattr__(self, "_extract", extract)

    def _extractor(self, name: str) -> Extract:
        if name in self.derived:
            return self.derived[name]
        return itemgetter(name)

    @property
    def table_name(self) -> str:
        """The projection's table."""
        return str(self.row.__tablename__)

    def key_of(self, item: T) -> str:
        """The row key of ``item`` as stored."""
        return str(getattr(item, self.key))

    def columns_of(self, item: T) -> dict[str, Any]:
        """The column values of ``item`` by name (all but ``doc``), as they are stored."""
        data = item.model_dump(mode="json")
        return {
            name: extract(data)
            for name, extract in zip(self.columns, self._extract, strict=True)
            if name != "doc"
        }

    def values(self, item: T) -> tuple[Any, ...]:
        """The row of ``item``, in ``columns`` order (the upsert's parameters)."""
        data = item.model_dump(mode="json")
        data["doc"] = to_json(data).decode()
        return tuple(extract(data) for extract in self._extract)

    def load(self, doc: str) -> T:
        """Rebuild the model from its stored ``doc``."""
        return self.model.model_validate_json(doc)


def _certificate_expiry(unit: dict[str, Any]) -> str | None:
    certificate = unit["certificate"]
    return None if certificate is None else str(certificate["expires_on"])


ORGANIZATIONS: Final = ProjectionMapping(Organization, OrganizationRow)
USERS: Final = ProjectionMapping(User, UserRow)
CUSTOMERS: Final = ProjectionMapping(
    Customer, CustomerRow, derived={"name_key": lambda row: text_key(row["name"])}
)
SITES: Final = ProjectionMapping(
    Site, SiteRow, derived={"name_key": lambda row: text_key(row["name"])}
)
ELEVATORS: Final = ProjectionMapping(
    Elevator,
    ElevatorRow,
    derived={
        "unit_key": lambda unit: text_key(unit["unit_number"]),
        "certificate_expires_on": _certificate_expiry,
    },
)
VISITS: Final = ProjectionMapping(Visit, VisitRow)
DEFICIENCIES: Final = ProjectionMapping(Deficiency, DeficiencyRow)
INCIDENTS: Final = ProjectionMapping(Incident, IncidentRow)
INSPECTIONS: Final = ProjectionMapping(Inspection, InspectionRow)
STATUS_CHANGES: Final = ProjectionMapping(StatusChange, StatusChangeRow, key="event_id")
REJECTIONS: Final = ProjectionMapping(Rejection, RejectionRow, key="event_id")

ENTITY_MAPPINGS: Final[Mapping[str, ProjectionMapping[Any]]] = {
    "organization": ORGANIZATIONS,
    "user": USERS,
    "customer": CUSTOMERS,
    "site": SITES,
    "elevator": ELEVATORS,
    "visit": VISITS,
    "deficiency": DEFICIENCIES,
    "incident": INCIDENTS,
    "inspection": INSPECTIONS,
}
"""The projection of each entity type (the keys match the reducers' entity types)."""

ALL_MAPPINGS: Final = (*ENTITY_MAPPINGS.values(), STATUS_CHANGES, REJECTIONS)
