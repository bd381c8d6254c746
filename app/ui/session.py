"""The signed-in session: the runtime, the backend, the profile and the error presenter.

Views receive the session (never a global). They read with :meth:`Session.read` and act with
:meth:`Session.act`; both run on the core worker and call back in the Qt thread. Every change
is announced once on :attr:`Session.changed`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, datetime
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QWidget
from shiboken6 import isValid

from app.domain.checklists import TemplateCatalog
from app.domain.enums import Role
from app.services.context import Actor, ServiceContext
from app.services.ports import Clock, UnitOfWorkFactory
from app.ui.backend import Backend
from app.ui.drafts import DraftStore, visit_drafts
from app.ui.errors import ErrorPresenter
from app.ui.runtime import CoreRuntime, Operation, Progress

type OnResult[T] = Callable[[T], None]
type OnError = Callable[[BaseException], None]


class Session(QObject):
    """Everything a view needs to read, act and react."""

    changed = Signal(object)  # app.services.context.Changes
    profile_changed = Signal(object)  # Actor

    def __init__(
        self,
        runtime: CoreRuntime,
        backend: Backend,
        *,
        clock: Clock,
        errors: ErrorPresenter,
        data_dir: Path,
        actor: Actor | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.runtime = runtime
        self.backend = backend
        self.clock = clock
        self.errors = errors
        self.data_dir = data_dir
        self.actor = actor
        self.demo = False
        """A demo store: its profiles may stay without a PIN (said in Switch profile)."""
        runtime.changed.connect(self.changed)

    @property
    def templates(self) -> TemplateCatalog:
        return self.backend.templates

    @property
    def is_supervisor(self) -> bool:
        return self.actor is not None and self.actor.role in (Role.SUPERVISOR, Role.ADMIN)

    def visit_drafts(self) -> DraftStore:
        """The visit drafts of this store made by the profile signed in now."""
        profile = str(self.actor.user_id) if self.actor is not None else "nobody"
        return visit_drafts(self.data_dir, self.backend.store_key, profile)

    def now(self) -> datetime:
        return self.clock.now()

    def today(self) -> date:
        return self.clock.now().date()

    def switch_profile(self, actor: Actor) -> None:
        """Act as ``actor`` from now on."""
        self.actor = actor
        self.profile_changed.emit(actor)

    def read[T](
        self,
        query: Callable[[UnitOfWorkFactory], Awaitable[T]],
        on_result: OnResult[T],
        *,
        label: str = "load data",
        parent: QWidget | None = None,
        on_error: OnError | None = None,
    ) -> Operation:
        """Run a read-only query on the worker; ``on_result`` gets its value in the Qt thread."""
        backend = self.backend

        async def job(_progress: Progress) -> T:
            return await query(backend.unit_of_work)

        return self._submit(job, on_result, label, parent, on_error)

    def act[T](
        self,
        action: Callable[[ServiceContext], Awaitable[T]],
        on_result: OnResult[T],
        *,
        label: str,
        parent: QWidget | None = None,
        on_error: OnError | None = None,
    ) -> Operation:
        """Run a use case as the signed-in profile; errors go to ``on_error`` or the presenter."""
        backend, actor = self.backend, self.actor
        if actor is None:
            raise RuntimeError("no profile is signed in")

        async def job(_progress: Progress) -> T:
            return await action(backend.context_for(actor))

        return self._submit(job, on_result, label, parent, on_error)

    def work[T](
        self,
        job: Callable[[Backend, Progress], Awaitable[T]],
        on_result: OnResult[T],
        *,
        label: str,
        parent: QWidget | None = None,
        on_error: OnError | None = None,
    ) -> Operation:
        """Run a long job on the backend with progress and cancellation (e.g. verification)."""
        backend = self.backend

        async def run(progress: Progress) -> T:
            return await job(backend, progress)

        return self._submit(run, on_result, label, parent, on_error)

    def _submit[T](
        self,
        job: Callable[[Progress], Awaitable[T]],
        on_result: OnResult[T],
        label: str,
        parent: QWidget | None,
        on_error: OnError | None,
    ) -> Operation:
        operation = self.runtime.submit(job, label=label)

        def finished(result: T) -> None:
            if _alive(parent):
                on_result(result)

        def failed(error: BaseException) -> None:
            if not _alive(parent):
                return
            if on_error is not None:
                on_error(error)
            else:
                self.errors.present(error, action=label, parent=parent)

        operation.finished.connect(finished)
        operation.failed.connect(failed)
        return operation


def _alive(parent: QWidget | None) -> bool:
    """Whether the view a job answers to still exists: a closed view's answer is dropped."""
    return parent is None or isValid(parent)
