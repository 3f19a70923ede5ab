"""`make run`'s reactor reads sockets without Twisted's per-read log context, and does all a
read did before: data in order, the end of a connection, a protocol's failure, paused reads."""

from __future__ import annotations

import asyncio
import socket

import pytest
from twisted.internet import asyncioreactor
from twisted.internet.protocol import Factory, Protocol

from gameserver.daphnereactor import LeanAsyncioReactor


class Recorder(Protocol):
    def __init__(self, seen: list, lost: list, fail_on: bytes | None = None) -> None:
        self.seen, self.lost, self.fail_on = seen, lost, fail_on

    def dataReceived(self, data: bytes) -> None:
        if self.fail_on is not None and self.fail_on in data:
            raise RuntimeError("the protocol failed")
        self.seen.append(data)

    def connectionLost(self, reason) -> None:
        self.lost.append(reason.type.__name__)


@pytest.fixture
def reactor():
    loop = asyncio.new_event_loop()
    made = LeanAsyncioReactor(loop)
    yield made
    for reader in list(made._readers):
        made.removeReader(reader)
    loop.close()


def serve(reactor, **kw) -> tuple[int, list, list, list]:
    seen, lost, protocols = [], [], []

    def build() -> Protocol:
        protocols.append(Recorder(seen, lost, **kw))
        return protocols[-1]

    port = reactor.listenTCP(0, Factory.forProtocol(build), interface="127.0.0.1")
    return port.getHost().port, seen, lost, protocols


def run_until(reactor, condition, limit: int = 2000) -> None:
    loop = reactor._asyncioEventloop
    for _ in range(limit):
        if condition():
            return
        loop.run_until_complete(asyncio.sleep(0.005))
    raise AssertionError("the condition never held")


def test_reads_reach_the_protocol_without_the_log_context(reactor, monkeypatch):
    calls = []
    monkeypatch.setattr(asyncioreactor, "callWithLogger", lambda *a, **k: calls.append(a))
    number, seen, lost, protocols = serve(reactor)
    client = socket.create_connection(("127.0.0.1", number))
    run_until(reactor, lambda: protocols)
    for piece in (b"one", b"two", b"three"):
        client.sendall(piece)
        run_until(reactor, lambda piece=piece: b"".join(seen).endswith(piece))
    assert b"".join(seen) == b"onetwothree" and lost == []
    assert calls == []  # no read went through Twisted's callWithLogger
    client.close()
    run_until(reactor, lambda: lost == ["ConnectionDone"])
    assert protocols[0].transport not in reactor._readers


def test_a_failing_protocol_loses_its_connection_and_the_others_go_on(reactor):
    number, seen, lost, protocols = serve(reactor, fail_on=b"boom")
    bad = socket.create_connection(("127.0.0.1", number))
    run_until(reactor, lambda: len(protocols) == 1)
    good = socket.create_connection(("127.0.0.1", number))
    run_until(reactor, lambda: len(protocols) == 2)
    bad.sendall(b"boom")
    run_until(reactor, lambda: len(lost) == 1)
    good.sendall(b"still here")
    run_until(reactor, lambda: seen == [b"still here"])
    assert lost == ["RuntimeError"]
    bad.close()
    good.close()


def test_paused_reads_resume_through_the_lean_reader(reactor):
    number, seen, lost, protocols = serve(reactor)
    client = socket.create_connection(("127.0.0.1", number))
    run_until(reactor, lambda: protocols)
    transport = protocols[0].transport
    transport.pauseProducing()
    assert transport not in reactor._readers
    client.sendall(b"held")
    reactor._asyncioEventloop.run_until_complete(asyncio.sleep(0.05))
    assert seen == []  # nothing is read while paused
    transport.resumeProducing()
    run_until(reactor, lambda: seen == [b"held"])
    client.close()
    run_until(reactor, lambda: lost == ["ConnectionDone"])
