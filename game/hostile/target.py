"""The one server a hostile run may talk to, and the guard that it is the operator's own."""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit


class TargetRefused(ValueError):
    """The URL is not one this tool may send hostile traffic to."""


@dataclass(frozen=True)
class Target:
    """``http(s)://host:port`` of the server under test; every connection goes to (host, port)."""

    scheme: str
    host: str
    port: int

    @property
    def secure(self) -> bool:
        return self.scheme == "https"

    @property
    def netloc(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        default = 443 if self.secure else 80
        return host if self.port == default else f"{host}:{self.port}"

    @property
    def origin(self) -> str:
        """The URL's origin: what a browser on the server's own pages sends as ``Origin``."""
        return f"{self.scheme}://{self.netloc}"

    def ws_url(self, path: str) -> str:
        return f"{'wss' if self.secure else 'ws'}://{self.netloc}{path}"


def is_loopback(host: str, resolve=socket.getaddrinfo) -> bool:
    """True when ``host`` is a loopback address, or a name all of whose addresses are."""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        pass
    try:
        infos = resolve(host, None)
    except OSError:
        return False
    addresses = {info[4][0] for info in infos}
    return bool(addresses) and all(ipaddress.ip_address(a.split("%")[0]).is_loopback for a in addresses)


def parse_target(url: str, *, i_own_this_server: bool = False, resolve=socket.getaddrinfo) -> Target:
    """Check ``url`` (a server's base URL) and return its `Target`, or raise `TargetRefused`:
    only http(s), no path, query or credentials, and a loopback host unless the operator
    says the server is theirs."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise TargetRefused(f"not an http(s) URL: {url!r}")
    if parts.username or parts.password or parts.query or parts.fragment or parts.path not in ("", "/"):
        raise TargetRefused(f"give the server's base URL only (like http://127.0.0.1:8000), not {url!r}")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise TargetRefused(f"bad port in {url!r}") from exc
    if not i_own_this_server and not is_loopback(parts.hostname, resolve):
        raise TargetRefused(f"{parts.hostname} is not a loopback address: pass --i-own-this-server "
                            "to attack a server that is yours")
    return Target(scheme=parts.scheme, host=parts.hostname, port=port)
