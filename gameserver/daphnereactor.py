"""Twisted's asyncio reactor with a lean read callback, for `make run` (gameserver.rundaphne).

Twisted's `AsyncioSelectorReactor` registers every socket it reads with
``loop.add_reader(fd, callWithLogger, reader, self._readOrWrite, reader, True)``: each read of
each socket goes through `twisted.python.log.callWithLogger`, which asks the connection for
its log prefix, copies the log context's dict, pushes it on a thread-local stack, calls, and
pops it — only so that a legacy ``log.msg`` made while reading is tagged with the connection.
With one input per player per tick, that was about a quarter of the read path's CPU (py-spy,
daphne under the load tester). `LeanAsyncioReactor` registers readers with a plain callback
that does what `_readOrWrite` does (read, and disconnect on a lost connection or an error),
logging a failure the same way; writes keep Twisted's path (they only wait for backpressure).

It must be installed before daphne is imported: importing `daphne.server` installs Twisted's
own reactor unless an asyncio one is there already.
"""

from __future__ import annotations

import asyncio
import errno
import os
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from twisted.internet.asyncioreactor import AsyncioSelectorReactor
from twisted.internet.posixbase import _NO_FILEDESC


class LeanAsyncioReactor(AsyncioSelectorReactor):
    """`AsyncioSelectorReactor` whose readers are called without the legacy log context."""

    def addReader(self, reader: Any) -> None:
        if reader in self._readers or self._continuousPolling.isReading(reader):
            return
        fd = reader.fileno()
        try:
            self._asyncioEventloop.add_reader(fd, self._read, reader)
            self._readers[reader] = fd
        except OSError as e:
            self._unregisterFDInAsyncio(fd)
            if e.errno != errno.EPERM:
                raise
            self._continuousPolling.addReader(reader)  # epoll refuses some descriptors: polled

    def _read(self, reader: Any) -> None:
        """Called by the event loop when ``reader``'s socket is readable: `_readOrWrite`'s read."""
        try:
            if reader.fileno() == -1:
                self._disconnectSelectable(reader, _NO_FILEDESC, True)
                return
            why = reader.doRead()
        except Exception as exc:
            why = exc
            self._log.failure(None)
        if why:
            try:
                self._disconnectSelectable(reader, why, True)
            except Exception:
                self._log.failure(None)


def install() -> LeanAsyncioReactor:
    """Install the reactor on a new event loop (of the policy in force: uvloop's when
    `gameserver.rundaphne` chose it), as daphne would install Twisted's own."""
    from twisted.internet.main import installReactor

    loop = asyncio.new_event_loop()
    if "ASGI_THREADS" in os.environ:  # as daphne.server does for its loop
        loop.set_default_executor(ThreadPoolExecutor(max_workers=int(os.environ["ASGI_THREADS"])))
    reactor = LeanAsyncioReactor(loop)
    installReactor(reactor)
    return reactor
