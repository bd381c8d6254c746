"""Commands: what a person asks SiteSync to do, as validated, immutable forms.

Checks that need no stored state live in the commands (required fields, positive numbers, dates
in order); services check everything that depends on state. Invalid input raises
``app.domain.errors.ValidationError``, never pydantic's own error (see ``app.domain.forms``).
"""

from app.domain.commands.fleet import (
    AssignTechnician,
    ChangeElevatorStatus,
    CreateCustomer,
    CreateSite,
    RegisterElevator,
    RegisterUser,
    UpdateCustomer,
    UpdateElevator,
    UpdateSite,
)
from app.domain.commands.organization import ChangeOrganizationSettings
from app.domain.commands.records import (
    ChangeDeficiencyStatus,
    CloseIncident,
    OpenDeficiency,
    OpenIncident,
    RecordInspection,
    UpdateIncident,
    check_callback,
)
from app.domain.commands.visits import (
    MAX_BLOB_BYTES,
    AddAddendum,
    AddNote,
    AddPart,
    AttachPhoto,
    CancelVisit,
    CompleteVisit,
    ContinueVisit,
    ItemAnswer,
    LockVisit,
    PhotoInput,
    RecordChecklistItem,
    RecordVisit,
    ScheduleVisit,
    Signature,
    SignVisit,
    StartVisit,
    VisitEntries,
)
from app.domain.forms import Command, parse_command

__all__ = [
    "MAX_BLOB_BYTES",
    "AddAddendum",
    "AddNote",
    "AddPart",
    "AssignTechnician",
    "AttachPhoto",
    "CancelVisit",
    "ChangeDeficiencyStatus",
    "ChangeElevatorStatus",
    "ChangeOrganizationSettings",
    "CloseIncident",
    "Command",
    "CompleteVisit",
    "ContinueVisit",
    "CreateCustomer",
    "CreateSite",
    "ItemAnswer",
    "LockVisit",
    "OpenDeficiency",
    "OpenIncident",
    "PhotoInput",
    "RecordChecklistItem",
    "RecordInspection",
    "RecordVisit",
    "RegisterElevator",
    "RegisterUser",
    "ScheduleVisit",
    "SignVisit",
    "Signature",
    "StartVisit",
    "UpdateCustomer",
    "UpdateElevator",
    "UpdateIncident",
    "UpdateSite",
    "VisitEntries",
    "check_callback",
    "parse_command",
]
