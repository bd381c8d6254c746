"""The SiteSync error hierarchy: each error says what went wrong and what to do next."""

from __future__ import annotations

from app.domain.wording import plural


class SiteSyncError(Exception):
    """Base of every error SiteSync raises on purpose."""

    code = "SITESYNC_ERROR"

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} {self.hint}" if self.hint else self.message


class ValidationError(SiteSyncError):
    """A command or form value is invalid; ``field`` names the offending input."""

    code = "VALIDATION_ERROR"

    def __init__(self, message: str, *, field: str | None = None, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.field = field


class NotFoundError(SiteSyncError):
    """The referenced record does not exist (or is not visible to the caller)."""

    code = "NOT_FOUND"


class ConflictError(SiteSyncError):
    """The command clashes with the current state (duplicate, wrong lifecycle step)."""

    code = "CONFLICT"


class ChainContinuityError(ConflictError):
    """An event does not continue its device's chain (for this device's own events: another
    program wrote to the same store at the same time)."""

    code = "CHAIN_CONTINUITY"


class InvalidTransitionError(ConflictError):
    """A status change that the status machine forbids."""

    code = "INVALID_TRANSITION"


class EventRejected(ConflictError):
    """A recorded event that is invalid against the state it meets (DESIGN.md section 5).

    The reducers raise it, so every store and the fold of pulled events reach the same verdict
    (a status change of a decommissioned unit, an edit of an entity that does not exist...).
    What a store does with it: keep the event in its log, mark it rejected with ``reason``, and
    apply nothing of it to the projections; the event is then listed as needing attention.
    Never repaired or dropped. A service checks the same rules before it records anything, so
    a person's own action fails with a ``ValidationError`` or ``ConflictError`` instead and
    nothing is recorded.
    """

    code = "EVENT_REJECTED"

    def __init__(self, reason: str, *, hint: str | None = None) -> None:
        super().__init__(reason, hint=hint)
        self.reason = reason


class AuthorizationError(SiteSyncError):
    """The actor's role does not allow this operation."""

    code = "FORBIDDEN"


class StoreError(SiteSyncError):
    """The local store could not complete an operation."""

    code = "STORE_ERROR"


class StoreCorruptedError(StoreError):
    """The local database file failed its integrity check."""

    code = "STORE_CORRUPTED"


class StoreFullError(StoreError):
    """The disk (or the database's size limit) is full; the operation was rolled back."""

    code = "STORE_FULL"


class StoreBusyError(StoreError):
    """Another program holds the store's lock for longer than SiteSync waits."""

    code = "STORE_BUSY"


class StoreInUseError(StoreBusyError):
    """Another program has the store open for writing; nothing was written here."""

    code = "STORE_IN_USE"


class ConcurrentWriteError(StoreError):
    """Another program wrote to the store at the same time; the change was not saved."""

    code = "STORE_CONCURRENT_WRITE"


class IncompleteStoreError(StoreError):
    """The store was never finished: building it was stopped before its end."""

    code = "STORE_INCOMPLETE"


class MigrationError(StoreError):
    """The local database could not be brought to the current schema."""

    code = "MIGRATION_FAILED"


class KeyStoreError(SiteSyncError):
    """The device key could not be read or written securely."""

    code = "KEYSTORE_ERROR"


class WrongPasswordError(KeyStoreError):
    """The offline-unlock password typed does not open the sealed device key."""

    code = "WRONG_PASSWORD"


class ImportFileError(ValidationError):
    """A fleet import file has bad lines; ``problems`` lists every one of them."""

    code = "IMPORT_INVALID"

    def __init__(self, problems: list[str]) -> None:
        shown = "\n".join(problems[:50])
        more = f"\n... and {len(problems) - 50} more" if len(problems) > 50 else ""
        super().__init__(
            f"The import file has {plural(len(problems), 'problem')}; nothing was imported:\n"
            f"{shown}{more}",
            hint="Fix the listed lines and run the import again.",
        )
        self.problems = problems
