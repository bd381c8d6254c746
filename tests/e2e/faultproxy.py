"""A fault-injecting HTTP/1.1 proxy on loopback, between a device and a real server process.

The proxy reads each request whole (headers and body), forwards it upstream and relays the
answer, unless a fault is queued for a request whose path starts with a given prefix. Each
queued fault applies to one request, in order:

- ``DROP``: the request never reaches the server; the connection closes.
- ``RESET``: the server gets the request and answers; the device gets a TCP reset instead.
- ``CUT``: the server answers; the device gets half of the answer, then the connection closes.
- ``STALL``: the server answers; the device gets nothing until it gives up (its read timeout).
- ``DUPLICATE``: the request reaches the server twice, one after the other; the device gets
  the second answer.
- ``DUPLICATE_AT_ONCE``: the request reaches the server twice at the same time (two
  connections); the device gets the first answer.
- ``RESTART``: the request reaches the server, which is then killed (SIGKILL) while it works
  and started again; the device gets a reset.

``requests`` lists every request seen (method, path, fault), ``answers`` every server answer
body per path, and ``max_in_flight`` the most sync requests the device had open at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum


class Fault(StrEnum):
    PASS = "pass"
    DROP = "drop"
    RESET = "reset"
    CUT = "cut"
    STALL = "stall"
    DUPLICATE = "duplicate"
    DUPLICATE_AT_ONCE = "duplicate_at_once"
    RESTART = "restart"


@dataclass(frozen=True, slots=True)
class Seen:
    method: str
    path: str
    fault: Fault


class _Closed(Exception):
    """The other side closed the connection."""


async def _read_message(reader: asyncio.StreamReader) -> bytes:
    """One whole HTTP/1.1 message (request or response) from ``reader``."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except (asyncio.IncompleteReadError, ConnectionError) as exc:
        raise _Closed from exc
    length, chunked = 0, False
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value.strip())
        elif name == b"transfer-encoding" and b"chunked" in value.lower():
            chunked = True
    try:
        if not chunked:
            return head + await reader.readexactly(length)
        body = bytearray()
        while True:
            size_line = await reader.readuntil(b"\r\n")
            body += size_line
            size = int(size_line.split(b";")[0].strip(), 16)
            if size == 0:
                while True:  # trailers, then the empty line
                    trailer = await reader.readuntil(b"\r\n")
                    body += trailer
                    if trailer == b"\r\n":
                        return head + bytes(body)
            body += await reader.readexactly(size + 2)
    except (asyncio.IncompleteReadError, ConnectionError) as exc:
        raise _Closed from exc


def _request_line(message: bytes) -> tuple[str, str]:
    method, target, _ = message.split(b"\r\n", 1)[0].decode("latin-1").split(" ", 2)
    return method, target.split("?", 1)[0]


def _body(message: bytes) -> bytes:
    return message.split(b"\r\n\r\n", 1)[1]


def _reset(writer: asyncio.StreamWriter) -> None:
    """Close with a TCP reset (SO_LINGER 0), not a clean FIN."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


class FaultProxy:
    """Listens on a loopback port and forwards to ``upstream_port`` with queued faults."""

    def __init__(
        self,
        upstream_port: int,
        *,
        restart: Callable[[], Awaitable[None]] | None = None,
        stall_seconds: float = 60.0,
    ) -> None:
        self.upstream_port = upstream_port
        self.restart = restart
        self.stall_seconds = stall_seconds
        self.requests: list[Seen] = []
        self.answers: dict[str, list[bytes]] = {}
        self.in_flight = 0
        self.max_in_flight = 0
        self._faults: list[tuple[str, Fault]] = []
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> FaultProxy:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()

    def inject(self, path_prefix: str, *faults: Fault) -> None:
        """Apply ``faults``, one each, to the next requests whose path starts with the prefix."""
        self._faults.extend((path_prefix, fault) for fault in faults)

    def heal(self) -> None:
        """Drop every fault not yet applied: the network is good again."""
        self._faults.clear()

    @property
    def pending_faults(self) -> int:
        return len(self._faults)

    def count(self, path: str, method: str | None = None) -> int:
        """How many requests for exactly ``path`` (and ``method``) were seen."""
        return sum(
            1 for s in self.requests if s.path == path and (method is None or s.method == method)
        )

    def _take_fault(self, path: str) -> Fault:
        for index, (prefix, fault) in enumerate(self._faults):
            if path.startswith(prefix):
                del self._faults[index]
                return fault
        return Fault.PASS

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        upstream: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
        try:
            while True:
                try:
                    request = await _read_message(reader)
                except _Closed:
                    return
                method, path = _request_line(request)
                fault = self._take_fault(path)
                self.requests.append(Seen(method, path, fault))
                sync = path.startswith("/api/v1/sync")
                if sync:
                    self.in_flight += 1
                    self.max_in_flight = max(self.max_in_flight, self.in_flight)
                try:
                    if fault is Fault.DROP:
                        writer.close()
                        return
                    if upstream is None:
                        upstream = await asyncio.open_connection("127.0.0.1", self.upstream_port)
                    answer = await self._forward(upstream, request, path, fault, reader, writer)
                finally:
                    if sync:
                        self.in_flight -= 1
                if answer is None:
                    return
                writer.write(answer)
                await writer.drain()
        except (_Closed, ConnectionError, OSError):
            _reset(writer)
        finally:
            if upstream is not None:
                upstream[1].transport.abort()
            if not writer.is_closing():
                writer.close()
            self._tasks.discard(task)

    async def _forward(
        self,
        upstream: tuple[asyncio.StreamReader, asyncio.StreamWriter],
        request: bytes,
        path: str,
        fault: Fault,
        client_reader: asyncio.StreamReader,
        client: asyncio.StreamWriter,
    ) -> bytes | None:
        """The answer to relay, or None after the fault has dealt with ``client``."""
        up_reader, up_writer = upstream
        if fault is Fault.DUPLICATE_AT_ONCE:
            first, second = await asyncio.gather(
                self._exchange_fresh(request), self._exchange_fresh(request)
            )
            self._note(path, first)
            self._note(path, second)
            return first
        up_writer.write(request)
        await up_writer.drain()
        if fault is Fault.RESTART:
            assert self.restart is not None, "RESTART needs a restart hook"
            await asyncio.sleep(0.005)  # the server has started on the request
            await self.restart()
            _reset(client)
            return None
        answer = await _read_message(up_reader)
        self._note(path, answer)
        if fault is Fault.DUPLICATE:
            answer = await self._exchange_fresh(request)
            self._note(path, answer)
        elif fault is Fault.RESET:
            _reset(client)
            return None
        elif fault is Fault.CUT:
            client.write(answer[: len(answer) // 2])
            await client.drain()
            client.close()
            return None
        elif fault is Fault.STALL:
            with contextlib.suppress(TimeoutError, ConnectionError):
                async with asyncio.timeout(self.stall_seconds):
                    await client_reader.read()  # until the device gives up and closes
            _reset(client)
            return None
        return answer

    async def _exchange_fresh(self, request: bytes) -> bytes:
        reader, writer = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        try:
            writer.write(request)
            await writer.drain()
            return await _read_message(reader)
        finally:
            writer.transport.abort()

    def _note(self, path: str, answer: bytes) -> None:
        self.answers.setdefault(path, []).append(_body(answer))
