"""daphne's HTTP side under `make run`: Twisted's HTTP/1.1 channel with a deadline and a cap
per address on unfinished requests (gameserver/wsframes.py, `HandshakeGuard`), which Twisted
and daphne do not have (docs/protocol.md, Limits)."""

from __future__ import annotations

from typing import Any

from twisted.web.http import HTTPChannel, _GenericHTTPChannelProtocol

from gameserver.wsframes import HANDSHAKES, handshake_key


class GameHTTPChannel(HTTPChannel):
    """Twisted's HTTP/1.1 channel with a deadline and a per-address cap on unfinished requests
    (`gameserver.wsframes.HANDSHAKES`), from accept (or a kept-alive connection's next byte) to
    the whole request. Twisted's idle timeout starts again with every byte, and daphne's and
    autobahn's websocket timeouts only start once the request is whole."""

    _handshake: Any = None  # the unfinished request's `Handshake`; None once it is whole

    def connectionMade(self) -> None:
        super().connectionMade()
        self._begin_request()

    def _begin_request(self) -> None:
        transport = self.transport
        address = handshake_key(getattr(transport.getPeer(), "host", None))
        self._handshake = HANDSHAKES.begin(address, transport.abortConnection, self.callLater)
        if self._handshake is None:
            transport.abortConnection()

    def dataReceived(self, data: bytes) -> None:
        """Runs for each read before the upgrade: the first byte of a kept-alive connection's
        next request starts its deadline."""
        if self._handshake is None and not self._handlingRequest and not self.transport.disconnecting:
            self._begin_request()
        super().dataReceived(data)

    def allContentReceived(self) -> None:
        """Runs when the request is whole (before daphne upgrades a websocket)."""
        HANDSHAKES.end(self._handshake)
        self._handshake = None
        super().allContentReceived()

    def connectionLost(self, reason: Any) -> None:
        HANDSHAKES.end(self._handshake)
        self._handshake = None
        super().connectionLost(reason)


def adapt_http_factory(factory: Any) -> None:
    # Twisted's factory builds `_GenericHTTPChannelProtocol(HTTPChannel())` (it would switch to
    # HTTP/2 on a TLS connection that negotiates it): the same, around the game's channel.
    factory.protocol = lambda: _GenericHTTPChannelProtocol(GameHTTPChannel())
