"""How each projection is stored: its table, key, and the typed columns queries filter on.

The whole model is kept as ``doc`` (pydantic's JSON) and read back from it, so a new model
field needs no mapping code; the other columns are derived from the model for queries.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from pydantic import BaseModel

from app.audit.envelope import format_timestamp
from app.domain.entities import Customer, Elevator, Organization, Site, StatusChange, User
from app.domain.events import Rejection
from app.domain.work import ConflictRecord, Deficiency, Incident, Inspection, Visit


def text_key(text: str) -> str:
    """How names and unit numbers are compared: trimmed and case-folded."""
    return text.strip().casefold()


type Extract = Callable[[Any], Any]


@dataclass(frozen=True, slots=True, eq=False)
class PgMapping[T: BaseModel]:
    """A projection model, its table, its key attribute and its query columns."""

    model: type[T]
    table: str
    key: str = "id"
    key_column: str = "id"
    columns: Mapping[str, Extract] = field(default_factory=dict)
    upsert: str = field(init=False)
    select_one: str = field(init=False)
    select_many: str = field(init=False)

    def __post_init__(self) -> None:
        names = ["organization_id", self.key_column, "doc", "last_index", *self.columns]
        params = ", ".join(
            f"${i}::text::jsonb" if name == "doc" else f"${i}"
            for i, name in enumerate(names, start=1)
        )
        updates = ", ".join(f"{n} = EXCLUDED.{n}" for n in names[2:])
        object.__setattr__(
            self,
            "upsert",
            f"INSERT INTO {self.table} ({', '.join(names)}) VALUES ({params}) "
            f"ON CONFLICT (organization_id, {self.key_column}) DO UPDATE SET {updates}",
        )
        object.__setattr__(
            self,
            "select_one",
            f"SELECT doc::text FROM {self.table} WHERE {self.key_column} = $1",
        )
        object.__setattr__(
            self,
            "select_many",
            f"SELECT {self.key_column}, doc::text FROM {self.table} "
            f"WHERE {self.key_column} = ANY($1::uuid[])",
        )

    def key_of(self, item: T) -> Any:
        return getattr(item, self.key)

    def row(self, org: Any, item: T, last_index: int) -> tuple[Any, ...]:
        """The upsert's parameters for ``item``."""
        extra = tuple(extract(item) for extract in self.columns.values())
        return (org, self.key_of(item), item.model_dump_json(), last_index, *extra)

    def load(self, doc: str) -> T:
        return self.model.model_validate_json(doc)


ORGANIZATIONS: Final = PgMapping(Organization, "organization_settings")
REJECTIONS: Final = PgMapping(Rejection, "rejected_events", key="event_id", key_column="event_id")
USERS: Final = PgMapping(User, "users", columns={"display_name": lambda u: u.display_name})
CUSTOMERS: Final = PgMapping(
    Customer,
    "customers",
    columns={"name": lambda c: c.name, "name_key": lambda c: text_key(c.name)},
)
SITES: Final = PgMapping(
    Site,
    "sites",
    columns={
        "customer_id": lambda s: s.customer_id,
        "name": lambda s: s.name,
        "name_key": lambda s: text_key(s.name),
    },
)
ELEVATORS: Final = PgMapping(
    Elevator,
    "elevators",
    columns={
        "site_id": lambda e: e.site_id,
        "unit_key": lambda e: text_key(e.unit_number),
        "status": lambda e: e.status.value,
    },
)
VISITS: Final = PgMapping(
    Visit,
    "visits",
    columns={
        "elevator_id": lambda v: v.elevator_id,
        "site_id": lambda v: v.site_id,
        "status": lambda v: v.status.value,
        "created_at": lambda v: format_timestamp(v.created_at),
    },
)
DEFICIENCIES: Final = PgMapping(
    Deficiency,
    "deficiencies",
    columns={
        "elevator_id": lambda d: d.elevator_id,
        "status": lambda d: d.status.value,
        "opened_at": lambda d: format_timestamp(d.opened_at),
    },
)
INCIDENTS: Final = PgMapping(
    Incident,
    "incidents",
    columns={
        "elevator_id": lambda i: i.elevator_id,
        "status": lambda i: i.status.value,
        "reported_at": lambda i: format_timestamp(i.reported_at),
    },
)
INSPECTIONS: Final = PgMapping(
    Inspection,
    "inspections",
    columns={
        "elevator_id": lambda i: i.elevator_id,
        "performed_on": lambda i: i.performed_on.isoformat(),
    },
)
STATUS_CHANGES: Final = PgMapping(
    StatusChange,
    "status_changes",
    key="event_id",
    key_column="event_id",
    columns={
        "elevator_id": lambda c: c.elevator_id,
        "changed_at": lambda c: format_timestamp(c.changed_at),
    },
)
CONFLICTS: Final = PgMapping(
    ConflictRecord,
    "conflicts",
    key_column="conflict_id",
    columns={
        "entity_id": lambda c: c.entity_id,
        "kept_event_id": lambda c: c.kept_event_id,
        "status": lambda c: c.status.value,
    },
)

ENTITY_MAPPINGS: Final[Mapping[str, PgMapping[Any]]] = {
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
