"""Secrets a lobby hands out (resume tokens) and checks (host and seat tokens).

`same_token` compares in constant time as bytes: `secrets.compare_digest` refuses two
``str`` with non-ASCII characters by raising TypeError, and a raise inside the lobby's loop
would end the lobby for everyone (the edge, game.query, already refuses such tokens; this
is the second wall).
"""

from __future__ import annotations

import secrets


def new_token() -> str:
    """A fresh unguessable token (URL-safe, 24 characters)."""
    return secrets.token_urlsafe(18)


def same_token(a: str | None, b: str | None) -> bool:
    """Whether two tokens are equal, in constant time; False when either is missing."""
    if not a or not b:
        return False
    return secrets.compare_digest(a.encode("utf-8", "surrogatepass"), b.encode("utf-8", "surrogatepass"))
