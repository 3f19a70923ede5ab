"""The lobbies this process runs: code -> loop."""

from __future__ import annotations

import asyncio
import secrets
from typing import Any

from game.engine.clock import Clock
from game.engine.lobby import Lobby, LobbyConfig
from game.engine.loop import LobbyLoop, LoopHooks

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: codes are read aloud
CODE_LENGTH = 6


class RegistryFull(Exception):
    """This process runs as many lobbies as it is allowed to."""


class LobbyRegistry:
    """Creates lobby loops, finds them by join code, lists the public ones."""

    def __init__(self, *, clock: Clock, hooks: LoopHooks, max_lobbies: int = 1000,
                 loop_options: dict[str, Any] | None = None) -> None:
        self.clock = clock
        self.hooks = hooks
        self.max_lobbies = max_lobbies
        self.loop_options = loop_options or {}
        self.loops: dict[str, LobbyLoop] = {}

    def new_code(self) -> str:
        while True:
            code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
            if code not in self.loops:
                return code

    def create(self, config: LobbyConfig) -> LobbyLoop:
        """Create the lobby described by ``config`` and start its loop."""
        if len(self.loops) >= self.max_lobbies:
            raise RegistryFull()
        return self.adopt(Lobby(config))

    def adopt(self, lobby: Lobby) -> LobbyLoop:
        """Run an existing lobby (one restored from another process's state) here."""
        loop = LobbyLoop(lobby, clock=self.clock, hooks=self.hooks, **self.loop_options)
        self.loops[lobby.code] = loop
        loop.start()
        return loop

    def get(self, code: str) -> LobbyLoop | None:
        return self.loops.get(code.upper()) if isinstance(code, str) else None

    def public(self) -> list[dict[str, Any]]:
        return [loop.lobby.summary() for loop in self.loops.values()
                if not loop.lobby.private and loop.lobby.phase != "closed"]

    def remove(self, code: str) -> None:
        self.loops.pop(code, None)

    async def shutdown(self) -> None:
        """Cancel every loop; each records its running match as aborted."""
        tasks = [loop.task for loop in self.loops.values() if loop.task is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
