"""The websocket query string, parsed and checked at the edge into a typed `SocketQuery`.

Every socket (lobby, matchmaking queue, staff dashboard) reads its query here and nowhere
else, so the engine never sees a raw client string it has to be careful with: secrets are
ASCII of a fixed alphabet and bounded length, the role is one of `protocol.ROLES`, the name
is cleaned and cut. Anything else is refused with a close code (docs/protocol.md, "Opening
a connection"): ``bad_version`` for another protocol version, ``bad_request`` for the rest.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qsl

from game import protocol

#: The longest query string read at all; real clients send well under 200 bytes.
MAX_QUERY_BYTES = 1024
#: At most this many ``key=value`` pairs.
MAX_QUERY_FIELDS = 8
#: Host tokens, seat tokens and resume tokens are made by `secrets.token_urlsafe`: this is
#: their alphabet, with room to spare in length.
SECRET_RE = re.compile(r"[A-Za-z0-9_-]{8,64}")


class QueryRefused(Exception):
    """The query cannot be accepted; ``close`` names a protocol close code."""

    def __init__(self, close: str, msg: str) -> None:
        super().__init__(msg)
        self.close = close


@dataclass(frozen=True)
class SocketQuery:
    """A socket's query string, checked: every field is safe to hand to the engine."""

    role: str = "player"
    name: str = ""  # cleaned and cut to MAX_NAME_CHARS; empty when not given
    token: str | None = None  # the lobby's host token, or a matchmade seat's token
    resume: str | None = None  # the resume token of an earlier welcome


def _secret(fields: dict[str, str], key: str) -> str | None:
    value = fields.get(key, "")
    if not value:
        return None
    if not SECRET_RE.fullmatch(value):
        raise QueryRefused("bad_request", f"{key} is not a token this server issued")
    return value


def parse_socket_query(raw: bytes) -> SocketQuery:
    """Parse a websocket's raw query string (ASGI ``scope["query_string"]``); raises
    `QueryRefused`. A repeated key takes its last value; unknown keys are ignored."""
    if len(raw) > MAX_QUERY_BYTES:
        raise QueryRefused("bad_request", "the query string is too long")
    try:
        pairs = parse_qsl(raw.decode("ascii"), keep_blank_values=True, strict_parsing=False,
                          encoding="utf-8", errors="strict", max_num_fields=MAX_QUERY_FIELDS)
    except (UnicodeDecodeError, ValueError) as exc:  # not ASCII, bad UTF-8, too many fields
        raise QueryRefused("bad_request", "the query string cannot be read") from exc
    fields = dict(pairs)
    if fields.get("v", str(protocol.PROTOCOL_VERSION)) != str(protocol.PROTOCOL_VERSION):
        raise QueryRefused("bad_version", f"this server speaks protocol version {protocol.PROTOCOL_VERSION}")
    role = fields.get("role", "player")
    if role not in protocol.ROLES:
        raise QueryRefused("bad_request", f"role must be one of {', '.join(protocol.ROLES)}")
    name = protocol.clean_text(fields.get("name", ""))[: protocol.MAX_NAME_CHARS].strip()
    return SocketQuery(role=role, name=name, token=_secret(fields, "token"), resume=_secret(fields, "resume"))
