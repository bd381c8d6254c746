"""Dependency aliases the routes declare (``StateDep``, ``PrincipalDep``, ...)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from sync.server.state import ServerState


def get_state(request: Request) -> ServerState:
    """The process's shared state (built by the app's lifespan)."""
    state: ServerState = request.app.state.server
    return state


StateDep = Annotated[ServerState, Depends(get_state)]
