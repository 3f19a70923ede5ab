"""SIGTERM for a server process: drain first, then let the server stop as it would have.

Daphne and uvicorn each stop on SIGTERM at once. `install` puts a handler in front of theirs:
it runs the runtime's drain (`game.runtime.Runtime.drain`: running matches end, lobbies are
handed over or closed, results written), then gives the signal back to whichever handler
was there before and raises it again.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from collections.abc import Awaitable, Callable

log = logging.getLogger("game.runtime")


def install(loop: asyncio.AbstractEventLoop, drain: Callable[[], Awaitable[None]],
            draining: Callable[[], bool]) -> None:
    """On SIGTERM (once; ``draining()`` says a drain has begun): ``await drain()``, then the
    server's own SIGTERM handling. Where the event loop takes no signal handlers, nothing."""
    previous = signal.getsignal(signal.SIGTERM)
    previous_handle = getattr(loop, "_signal_handlers", {}).get(signal.SIGTERM)

    def hand_back() -> None:
        loop.remove_signal_handler(signal.SIGTERM)
        if previous_handle is not None:
            loop.add_signal_handler(signal.SIGTERM, previous_handle._callback, *previous_handle._args)
        else:
            signal.signal(signal.SIGTERM, previous if previous is not None else signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGTERM)

    async def drain_then_exit() -> None:
        try:
            await drain()
        finally:
            hand_back()

    def on_sigterm() -> None:
        if not draining():
            log.warning("SIGTERM: draining before exit")
            loop.create_task(drain_then_exit())

    try:
        loop.add_signal_handler(signal.SIGTERM, on_sigterm)
    except (NotImplementedError, RuntimeError, ValueError):
        log.info("no SIGTERM handler on this event loop; stopping is immediate")
