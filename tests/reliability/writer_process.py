"""A writer to be killed: appends events through the real unit of work until SIGKILLed.

Run as ``python -m tests.reliability.writer_process`` it is a *zygote*: it imports everything
once, then for each ``spawn <store path>`` line on stdin forks a writer child, so each of the
hundred kills costs a fork instead of an interpreter start. Every line on stdout is one
``os.write`` (atomic on a pipe) and names the child's pid:

- ``pid <pid>``: a writer was forked;
- ``ready <pid>``: it opened the store and is about to write;
- ``committed <pid> <seq>``: ``commit()`` returned for the event with this ``device_seq``;
- ``exit <pid> <status>``: the writer is gone (the zygote reaped it).
"""

from __future__ import annotations

import asyncio
import os
import secrets
import sys
import time
import traceback
from pathlib import Path
from uuid import UUID

from app.demo.seeding import (
    ACTIVE_STATES,
    SeedIds,
    adopt_device,
    record,
    seed_context,
)
from app.domain import payloads as p
from app.domain.enums import ElevatorStatus
from app.domain.events import NewEvent
from app.ids import SystemClock
from app.services.context import ServiceContext
from app.services.ports import UnitOfWork
from app.services.recorder import execute
from app.store import open_store

SEED = 1
"""Every writer is the same device (same key), continuing one chain across kills."""
MAX_SECONDS = 20.0
"""A writer the parent forgot to kill stops on its own."""


def say(*words: object) -> None:
    """Write one line to stdout in a single system call."""
    os.write(1, (" ".join(map(str, words)) + "\n").encode())


async def the_unit(ctx: ServiceContext) -> UUID:
    """The elevator whose status the writers change (created by the first writer)."""
    async with ctx.uow() as uow:
        units = await uow.elevators.list_all()
    if units:
        return units[0].id
    new = ctx.ids.new_id
    customer, site, unit = new(), new(), new()
    await record(ctx, customer, p.CustomerCreated(name="Kill Test Ltd"))
    await record(ctx, site, p.SiteCreated(customer_id=customer, name="Lab", address="1 Lab Rd"))
    await record(ctx, unit, p.ElevatorRegistered(site_id=site, unit_number="K1"))
    return unit


async def write(path: Path) -> None:
    """Append events until killed: new customers and status changes, one commit each."""
    store = await open_store(path, create=True)
    clock = SystemClock()
    ctx = seed_context(store.unit_of_work, seed=SEED, clock=clock)
    ctx = ServiceContext(
        ctx.actor, ctx.device, clock, SeedIds(secrets.randbits(64), clock), ctx.uow
    )
    await adopt_device(store, ctx)
    unit = await the_unit(ctx)
    pid = os.getpid()
    say("ready", pid)
    deadline = time.monotonic() + MAX_SECONDS
    n = 0
    while time.monotonic() < deadline:
        n += 1
        if n % 2:
            changes = await record(ctx, ctx.ids.new_id(), p.CustomerCreated(name=f"C{n}"))
        else:

            async def decide(uow: UnitOfWork) -> list[NewEvent]:
                current = await uow.elevators.get(unit)
                assert current is not None
                states: list[ElevatorStatus] = list(ACTIVE_STATES)
                new = states[(states.index(current.status) + 1) % len(states)]
                change = p.ElevatorStatusChanged(previous=current.status, new=new, reason="k")
                return [NewEvent(unit, change)]

            changes = await execute(ctx, decide)
        say("committed", pid, changes.events[-1].device_seq)
    await store.close()


def zygote() -> None:
    """Fork a writer for each ``spawn <path>`` line; report each one's pid and exit."""
    for line in sys.stdin:
        command, _, argument = line.strip().partition(" ")
        if command != "spawn":
            continue
        child = os.fork()
        if child == 0:
            code = 0
            try:
                asyncio.run(write(Path(argument)))
            except BaseException:
                traceback.print_exc()
                code = 1
            os._exit(code)  # never return into the zygote's loop
        say("pid", child)
        _, status = os.waitpid(child, 0)
        say("exit", child, status)


if __name__ == "__main__":
    zygote()
