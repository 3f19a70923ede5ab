"""`make run`'s server: daphne's command line with the game's protocol (gameserver/daphneserver.py).

    python -m gameserver.rundaphne -b 127.0.0.1 -p 8000 gameserver.asgi:application

Takes every option the ``daphne`` command takes. Twisted's asyncio reactor runs on uvloop
where it is installed, unless ``GAME_DAPHNE_UVLOOP=0``: the loop must be chosen before daphne
is imported, since importing `daphne.server` makes the loop and installs the reactor on it;
the reactor is the game's (gameserver/daphnereactor.py: reads without Twisted's log context).
Twisted's TLS and autobahn's WAMP are left out of the start unless an endpoint asks for TLS
(gameserver/leanimports.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from collections.abc import Sequence
from typing import Any


def use_uvloop() -> bool:
    """Make new event loops uvloop's, unless turned off or not installed; True when it did."""
    if os.environ.get("GAME_DAPHNE_UVLOOP", "1") == "0":
        return False
    try:
        import uvloop
    except ImportError:
        return False
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    return True


def prepare(argv: Sequence[str]) -> Any:
    """Everything before daphne's command line runs with ``argv``: the loop's kind, the lean
    imports, the reactor. Returns the command line's class (`GameCommandLine`)."""
    from gameserver import leanimports

    use_uvloop()
    leanimports.lazy_modules()
    # Imported here, in this order: the reactor is installed on a loop of the chosen kind,
    # then daphne.server, which keeps an asyncio reactor it finds installed.
    tls = leanimports.wants_tls(argv)
    with contextlib.nullcontext() if tls else leanimports.hidden_tls():
        from gameserver.daphnereactor import install

        install()
        from gameserver.daphneserver import GameCommandLine
    return GameCommandLine


def main() -> None:
    prepare(sys.argv[1:]).entrypoint()


if __name__ == "__main__":
    main()
