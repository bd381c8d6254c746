"""The README's sync walkthrough, from its own commands, with two app windows and a real server.

The commands are read from README.md's code blocks (``sitesync-server serve``, ``create-org``,
``create-user``, ``sitesync login``, ``sync``, ``status``) and run as processes, with only what a
reader would change: the port, the password on standard input, a second laptop's e-mail and file.
The server starts its own embedded PostgreSQL in its data folder, as the README says. Then two
app windows (two stores, two devices) open the signed-in stores, sign in from the window, work
offline while the server is down, reconnect, and end with the same fleet and the conflict shown
to the administrator on the Sync page.
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import re
import shlex
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from uuid import UUID

import httpx
import keyring
import pytest
from keyring.backends import fail
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from app.bootstrap import StoreFiles
from app.desktop_sync import SessionVaults, open_desktop_sync
from app.domain.commands.fleet import UpdateElevator
from app.ids import SystemClock
from app.services.context import Changes, ServiceContext
from app.services.elevators import update_elevator
from app.ui.app import Startup
from app.ui.sync.page import SyncView
from app.ui.sync.sign_in import SignInDialog
from tests.postgres import free_port

pytestmark = pytest.mark.timeout(400)

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "correct horse battery"
README_SERVER = "http://127.0.0.1:8000"
PROGRAMS = {
    "sitesync-server": [sys.executable, "-m", "sync.server.cli"],
    "sitesync": [sys.executable, "-m", "app"],
}
FLEET = (
    "customer,site,site_address,unit_number,manufacturer,drive_type\n"
    "Harbour Estates,Harbour House,1 Quay Street,L1,KONE,traction\n"
    "Harbour Estates,Harbour House,1 Quay Street,L2,Otis,hydraulic\n"
)


def readme_commands() -> list[list[str]]:
    """Every ``uv run sitesync…`` line of the README's bash blocks, comments removed."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    commands: list[list[str]] = []
    for block in re.findall(r"```bash\n(.*?)```", text, flags=re.DOTALL):
        for line in block.splitlines():
            line = line.split("  #", 1)[0].strip()
            if line.startswith("uv run sitesync"):
                commands.append(shlex.split(line)[2:])
    return commands


def readme_command(*start: str) -> list[str]:
    """The README's command that begins with ``start`` (the test fails if it is gone)."""
    found = [c for c in readme_commands() if c[: len(start)] == list(start)]
    assert found, f"README.md has no 'uv run {' '.join(start)}' command"
    return found[0]


@dataclass
class Shell:
    """Runs the README's commands in a folder, with their own data folder and no keyring."""

    folder: Path
    port: int = field(default_factory=free_port)
    server: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def data_dir(self) -> Path:
        return self.folder / "data"

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("SITESYNC_")}
        env.pop("DATABASE_URL", None)
        env["SITESYNC_DATA_DIR"] = str(self.data_dir)
        env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
        return env

    def argv(self, command: list[str]) -> list[str]:
        words = [self.url if word == README_SERVER else word for word in command]
        return PROGRAMS[words[0]] + words[1:]

    def run(self, command: list[str], *, stdin: str = "") -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            self.argv(command),
            input=stdin,
            capture_output=True,
            text=True,
            cwd=self.folder,
            env=self.env(),
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, f"{command}: {done.returncode}\n{done.stdout}{done.stderr}"
        return done

    def serve(self) -> None:
        """``sitesync-server serve`` (on this test's port) until it answers ``/ready``."""
        command = self.argv([*readme_command("sitesync-server", "serve"), "--port", str(self.port)])
        log = (self.folder / "server.log").open("ab")
        self.server = subprocess.Popen(
            command,
            cwd=self.folder,
            env=self.env(),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            assert self.server.poll() is None, (self.folder / "server.log").read_text()
            try:
                if httpx.get(f"{self.url}/ready", timeout=1.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise AssertionError("the server did not get ready:\n" + self.server_log())

    def server_log(self) -> str:
        return (self.folder / "server.log").read_text(errors="replace")

    def stop_server(self) -> None:
        if self.server is None:
            return
        if self.server.poll() is None:
            os.killpg(self.server.pid, signal.SIGTERM)
            try:
                self.server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.server.pid, signal.SIGKILL)
                self.server.wait(timeout=10)
        self.server = None

    def stop_postgres(self) -> None:
        """Stop the embedded PostgreSQL if it outlived the server (it runs in its own session)."""
        pid_file = self.data_dir / "postgres" / "postmaster.pid"
        if not pid_file.exists():
            return
        pid = int(pid_file.read_text().split()[0])
        try:
            os.kill(pid, signal.SIGINT)  # PostgreSQL's fast shutdown
        except ProcessLookupError:
            return
        deadline = time.monotonic() + 30
        while pid_file.exists() and time.monotonic() < deadline:
            time.sleep(0.2)


@pytest.fixture
def shell() -> Iterator[Shell]:
    """A folder of its own (not pytest's, which concurrent sessions prune while this runs)."""
    folder = Path(tempfile.mkdtemp(prefix="sitesync-walkthrough-"))
    here = Shell(folder)
    try:
        yield here
    finally:
        here.stop_server()
        here.stop_postgres()
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def no_keyring() -> Iterator[None]:
    """The app in this process sees no secure keyring either (as the commands do)."""
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())  # type: ignore[no-untyped-call]
    try:
        yield
    finally:
        keyring.set_keyring(previous)


def _open_app(qtbot: QtBot, shell: Shell, store: Path, name: str) -> Startup:
    """``sitesync --db STORE``: the window asks for the offline-unlock password, then opens."""
    stores, vaults = shell.data_dir / "stores", SessionVaults()
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    startup = Startup(
        app,
        store,
        data_dir=shell.data_dir,
        settings=QSettings(str(shell.folder / f"{name}.ini"), QSettings.Format.IniFormat),
        clock=SystemClock(),
        quit_app=lambda: None,
        open_sync=lambda backend: open_desktop_sync(backend, stores_dir=stores, vaults=vaults),
        stores=StoreFiles(),
    )
    assert startup.opener is not None
    opener = startup.opener
    qtbot.waitUntil(lambda: opener.dialog is not None and opener.dialog.isVisible(), timeout=30000)
    assert opener.dialog is not None
    opener.dialog.setTextValue(PASSWORD)
    opener.dialog.accept()
    qtbot.waitUntil(
        lambda: startup.window is not None and startup.window.isVisible(), timeout=60000
    )
    return startup


def _sign_in(qtbot: QtBot, startup: Startup, email: str, url: str) -> None:
    """File → Sign in to server…: the address and e-mail are filled in; type the password."""
    window = startup.window
    assert window is not None
    assert window.sync is not None
    dialog = window.sync.sign_in()
    assert isinstance(dialog, SignInDialog)
    assert dialog.server.text() == url
    assert dialog.email.text() == email
    dialog.password.setText(PASSWORD)
    dialog.ok.click()
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=60000)
    _wait_settled(qtbot, startup)


def _indicator(startup: Startup) -> str:
    assert startup.window is not None
    assert startup.window.sync is not None
    return startup.window.sync.indicator.text()


def _wait_settled(qtbot: QtBot, startup: Startup, timeout: int = 60000) -> None:
    """Up to date: nothing waiting, no run going on."""
    bridge = startup.sync
    assert bridge is not None

    def settled() -> bool:
        status = bridge.state.status
        return (
            status is not None
            and status.pending == 0
            and status.problem is None
            and not bridge.state.running
            and "Up to date" in _indicator(startup)
        )

    qtbot.waitUntil(settled, timeout=timeout)


def _wait_offline(qtbot: QtBot, startup: Startup) -> None:
    """The indicator says offline, with the edits waiting."""
    qtbot.waitUntil(lambda: "Offline" in _indicator(startup), timeout=60000)
    assert "waiting" in _indicator(startup)


def _sync_now(qtbot: QtBot, startup: Startup) -> None:
    """F9, and wait for that run to end up to date."""
    bridge = startup.sync
    assert bridge is not None
    runs: list[object] = []
    bridge.run_finished.connect(runs.append)
    bridge.sync_now()
    qtbot.waitUntil(lambda: bool(runs) and getattr(runs[-1], "ok", False), timeout=60000)
    _wait_settled(qtbot, startup)


def _edit_unit(qtbot: QtBot, startup: Startup, unit_id: UUID, **fields: object) -> None:
    """Edit a unit in the window's session (what the Edit unit dialog saves)."""
    session = startup.session
    assert session is not None
    done: list[Changes] = []

    async def edit(ctx: ServiceContext) -> Changes:
        command = UpdateElevator.model_validate({"elevator_id": unit_id, **fields})
        return await update_elevator(command, ctx=ctx)

    session.act(edit, done.append, label="edit the unit")
    qtbot.waitUntil(lambda: bool(done), timeout=20000)


def _fleet(store: Path) -> list[tuple[object, ...]]:
    """Customers, sites and units as the store's projections hold them."""
    with sqlite3.connect(f"file:{store}?mode=ro", uri=True) as db:
        rows: list[tuple[object, ...]] = []
        for table in ("customers", "sites", "elevators"):
            rows += [(table, *r) for r in db.execute(f"SELECT * FROM {table} ORDER BY id")]
    return rows


def _units(store: Path) -> dict[str, UUID]:
    with sqlite3.connect(f"file:{store}?mode=ro", uri=True) as db:
        return {
            str(n): UUID(str(i)) for i, n in db.execute("SELECT id, unit_number FROM elevators")
        }


def _close(qtbot: QtBot, startup: Startup) -> None:
    """Close the window and the store, and let Qt delete what the app made before the next test."""
    if startup.window is not None:
        startup.window.close()
        startup.window.deleteLater()
    startup.shutdown()
    startup.splash.deleteLater()
    startup.deleteLater()
    qtbot.wait(200)


def test_the_readme_sync_walkthrough(qtbot: QtBot, shell: Shell, no_keyring: None) -> None:
    # The server, an organization, its administrator and a technician: the README's commands.
    shell.serve()
    shell.run(readme_command("sitesync-server", "create-org"))
    users = [c for c in readme_commands() if c[:2] == ["sitesync-server", "create-user"]]
    assert len(users) >= 2
    for command in users:
        shell.run([*command, "--password-stdin"], stdin=PASSWORD + "\n")
    emails = [c[c.index("--email") + 1] for c in users]
    admin = next(e for c, e in zip(users, emails, strict=True) if "admin" in c)

    # Each laptop signs in once with a new store, as the README's login line does.
    login = readme_command("sitesync", "login")
    tom = login[login.index("--email") + 1]
    assert tom in emails
    assert tom != admin
    laptops = {
        tom: shell.folder / login[login.index("--db") + 1],
        admin: shell.folder / "admin.sqlite",
    }
    for email, store in laptops.items():
        command = [*login, "--password-stdin"]
        command[command.index("--email") + 1] = email
        command[command.index("--db") + 1] = store.name
        out = shell.run(command, stdin=PASSWORD + "\n").stdout
        assert f"<{email}>" in out
    with sqlite3.connect(laptops[tom]) as db:
        row = db.execute("SELECT value FROM store_meta WHERE key = 'organization_name'").fetchone()
    assert row == ("Acme Lifts",)  # the organization's name came from the server

    # The administrator imports the fleet into the joined store and syncs it (README commands).
    (shell.folder / "fleet.csv").write_text(FLEET, encoding="utf-8")
    shell.run(
        ["sitesync", "import", "--db", "admin.sqlite", "fleet.csv", "--password-stdin"],
        stdin=PASSWORD + "\n",
    )
    sync = readme_command("sitesync", "sync")
    sync_admin = [*sync, "--password-stdin"]
    sync_admin[sync_admin.index("--db") + 1] = "admin.sqlite"
    shell.run(sync_admin, stdin=PASSWORD + "\n")

    # Two app windows, one per laptop (the README's 'sitesync --db'); each signs in from
    # File → Sign in to server….
    assert readme_command("sitesync", "--db")
    windows = {email: _open_app(qtbot, shell, store, email) for email, store in laptops.items()}
    for email, startup in windows.items():
        assert startup.session is not None
        assert startup.session.actor is not None
        assert startup.store_path == laptops[email]
        _sign_in(qtbot, startup, email, shell.url)
    assert _units(laptops[tom]).keys() == {"L1", "L2"}
    units = _units(laptops[admin])

    # The network goes: both work offline, on the same unit's same field and on another one.
    shell.stop_server()
    _edit_unit(qtbot, windows[admin], units["L1"], model="MonoSpace 500")
    _edit_unit(qtbot, windows[tom], units["L1"], model="MonoSpace 700")
    _edit_unit(qtbot, windows[tom], units["L2"], serial_number="OT-2231")
    for startup in windows.values():
        assert startup.sync is not None
        startup.sync.sync_now()
    for startup in windows.values():
        _wait_offline(qtbot, startup)

    # Reconnect: each syncs (F9) and both end with the same fleet.
    shell.serve()
    _sync_now(qtbot, windows[tom])
    _sync_now(qtbot, windows[admin])
    _sync_now(qtbot, windows[tom])
    fleet = {email: _fleet(store) for email, store in laptops.items()}
    assert fleet[tom] == fleet[admin]
    assert any("OT-2231" in str(row) for row in fleet[admin])

    # The administrator sees the conflict on the Sync page, both values side by side.
    window = windows[admin].window
    assert window is not None
    window.go("Sync")
    page = window.views["Sync"]
    assert isinstance(page, SyncView)
    qtbot.waitUntil(lambda: len(page.cards) == 1, timeout=20000)
    conflict = page.cards[0].conflict
    assert conflict.field == "model"
    assert {conflict.kept_value, conflict.other_value} == {'"MonoSpace 500"', '"MonoSpace 700"'}

    for startup in windows.values():
        _close(qtbot, startup)

    # ``sitesync status`` says both are up to date.
    status = readme_command("sitesync", "status")
    for store in laptops.values():
        command = list(status)
        command[command.index("--db") + 1] = store.name
        assert "pending: 0" in shell.run(command).stdout
