"""``/api/v1/devices``: register a device key, list devices, revoke one."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from sync.protocol import Device, DeviceRegistration
from sync.server import devices
from sync.server.deps import AdminDep, PrincipalDep, StateDep
from sync.server.errors import responses

router = APIRouter(prefix="/api/v1/devices", tags=["devices"])


@router.post(
    "",
    response_model=Device,
    status_code=201,
    responses=responses(400, 401, 403, 409, 413, 422, ok={200: ("Already registered", Device)}),
)
async def register_device(
    body: DeviceRegistration, principal: PrincipalDep, state: StateDep
) -> JSONResponse:
    """Register this device's public key for the signed-in user (idempotent)."""
    device, created = await devices.register(state, principal, body)
    return JSONResponse(device.model_dump(mode="json"), status_code=201 if created else 200)


@router.get("", response_model=list[Device], responses=responses(401))
async def list_devices(principal: PrincipalDep, state: StateDep) -> list[Device]:
    """The organization's devices (administrators) or your own."""
    return await devices.list_devices(state, principal)


@router.get("/{device_id}", response_model=Device, responses=responses(401, 404, 422))
async def get_device(device_id: UUID, principal: PrincipalDep, state: StateDep) -> Device:
    """One device."""
    return await devices.get_device(state, principal, device_id)


@router.post("/{device_id}/revoke", response_model=Device, responses=responses(401, 403, 404, 422))
async def revoke_device(device_id: UUID, principal: AdminDep, state: StateDep) -> Device:
    """Revoke a device (administrators): its later pushes are refused."""
    return await devices.revoke(state, principal, device_id)
