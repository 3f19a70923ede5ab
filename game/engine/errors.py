"""Refusals the engine raises: for one command, or for a whole join."""

from __future__ import annotations


class CommandError(Exception):
    """A refused command; ``code`` is a protocol error code, sent to the sender only."""

    def __init__(self, code: str, msg: str) -> None:
        super().__init__(msg)
        self.code = code
        self.msg = msg


class JoinRefused(Exception):
    """A refused join; ``close`` names a protocol close code (e.g. ``"lobby_full"``)."""

    def __init__(self, close: str) -> None:
        super().__init__(close)
        self.close = close
