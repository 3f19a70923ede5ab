"""HTTP/1.1 by hand, so that hostile requests go out exactly as written (any body, any header,
half a request) — and the lobby API calls the run itself needs. One connection per request,
no cookies ever: each request is a stranger's."""

from __future__ import annotations

import asyncio
import json
import ssl
from dataclasses import dataclass, field

from game.hostile.target import Target

MAX_REPLY = 1 << 20  # bytes of a reply read at most


@dataclass
class Reply:
    status: int  # 0: no status line came (the connection failed or closed first)
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    error: str = ""  # what went wrong on the way, if anything

    @property
    def is_json(self) -> bool:
        if not self.headers.get("content-type", "").startswith("application/json"):
            return False
        try:
            json.loads(self.body)
        except ValueError:
            return False
        return True

    def json(self) -> dict:
        return json.loads(self.body)


async def open_stream(target: Target) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    context = ssl.create_default_context() if target.secure else None
    return await asyncio.open_connection(target.host, target.port, ssl=context,
                                         server_hostname=target.host if context else None)


def parse_head(head: bytes) -> tuple[int, dict[str, str]]:
    """``(status, lower-cased headers)`` of a response head; status 0 when it is not HTTP."""
    lines = head.decode("latin-1").split("\r\n")
    status = lines[0].split(" ", 2)
    if len(status) < 2 or not status[0].startswith("HTTP/") or not status[1].isdigit():
        return 0, {}
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return int(status[1]), headers


def dechunk(body: bytes) -> bytes:
    """The payload of a chunked body (as much of it as came)."""
    out, pos = bytearray(), 0
    while True:
        end = body.find(b"\r\n", pos)
        if end < 0:
            return bytes(out)
        try:
            size = int(body[pos:end].split(b";")[0], 16)
        except ValueError:
            return bytes(out)
        if size == 0:
            return bytes(out)
        out += body[end + 2:end + 2 + size]
        pos = end + 2 + size + 2


def parse_reply(raw: bytes) -> Reply:
    head, sep, body = raw.partition(b"\r\n\r\n")
    status, headers = parse_head(head)
    if not sep or not status:
        return Reply(status=0, error=f"no HTTP reply ({len(raw)} bytes came)")
    if "chunked" in headers.get("transfer-encoding", "").lower():
        body = dechunk(body)
    return Reply(status=status, headers=headers, body=body)


async def exchange(target: Target, raw: bytes, *, timeout: float = 10.0) -> Reply:
    """Write ``raw`` and read the reply until the server closes (or ``timeout``, or a head
    followed by the whole Content-Length). A write the server refuses halfway (it answered
    early and closed) still reads what it answered."""
    reader, writer = await asyncio.wait_for(open_stream(target), timeout)
    got, error = bytearray(), ""
    try:
        async with asyncio.timeout(timeout):
            writer.write(raw)
            try:
                await writer.drain()
            except OSError as exc:
                error = f"write: {type(exc).__name__}"
            while len(got) < MAX_REPLY and not _complete(got):
                try:
                    chunk = await reader.read(65536)
                except OSError as exc:
                    error = error or f"read: {type(exc).__name__}"
                    break
                if not chunk:
                    break
                got += chunk
    except TimeoutError:
        error = error or f"no complete reply in {timeout:.0f} s"
    finally:
        writer.transport.abort()
    reply = parse_reply(bytes(got))
    reply.error = error or reply.error
    return reply


def _complete(got: bytearray) -> bool:
    end = got.find(b"\r\n\r\n")
    if end < 0:
        return False
    _status, headers = parse_head(bytes(got[:end]))
    length = headers.get("content-length")
    return length is not None and length.isdigit() and len(got) - end - 4 >= int(length)


def request_bytes(target: Target, method: str, path: str, body: bytes = b"", *,
                  headers: dict[str, str] | None = None) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"Host: {target.netloc}", "Connection: close",
             "User-Agent: game-hostile", "Accept: application/json"]
    if body or method == "POST":
        lines.append(f"Content-Length: {len(body)}")
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


async def request(target: Target, method: str, path: str, body: bytes = b"", *,
                  headers: dict[str, str] | None = None, timeout: float = 10.0) -> Reply:
    return await exchange(target, request_bytes(target, method, path, body, headers=headers), timeout=timeout)


def lobby_body(name: str, *, max_players: int = 4, tick_rate: int = 20) -> dict:
    """A lobby whose match lasts as long as any run (no score or time limit reached)."""
    return {"game": "arena", "name": name, "max_players": max_players, "private": True,
            "tick_rate": tick_rate, "settings": {"score_limit": 3600, "time_limit_s": 3600}}


async def post_lobby(target: Target, body: dict | bytes, *, timeout: float = 10.0) -> Reply:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    return await request(target, "POST", "/api/lobbies", data,
                         headers={"Content-Type": "application/json"}, timeout=timeout)


async def lobby_detail(target: Target, code: str, *, timeout: float = 5.0) -> Reply:
    return await request(target, "GET", f"/api/lobbies/{code}", timeout=timeout)
