"""What `make run` leaves out of its start: the parts of Twisted and autobahn a websocket game
server behind plain TCP never runs, which were about a fifth of its idle RSS (docs/performance.md,
"Memory").

- **TLS**, unless an endpoint asks for it (``-e ssl:...``): Twisted's reactor and TCP transport
  import pyOpenSSL, `cryptography` and `service_identity` at start for TLS support (about 12 MB
  of RSS, most of it `cryptography`'s and OpenSSL's shared libraries). While the reactor and
  daphne are imported, ``OpenSSL`` is hidden (`hidden_tls`), so Twisted builds its transports
  without TLS, as it does where pyOpenSSL is not installed; afterwards the name is importable
  again for anything else. TLS belongs to nginx in front (docs/deploy.md).
- **WAMP**: importing autobahn's Twisted websocket imports its WAMP client too (for
  ``autobahn.twisted``'s package exports), with WAMP's authentication (`cryptography` again),
  CBOR and `click`. Those modules are loaded lazily (`lazy_modules`): bound where they are
  imported, executed at their first attribute access, which a websocket server never makes.

Both are no-ops for a module already imported, and nothing changes for a server that asks for TLS.
"""

from __future__ import annotations

import contextlib
import importlib.machinery
import importlib.util
import sys
from collections.abc import Iterable, Iterator
from typing import Any

#: Executed at first use instead of at import: WAMP's authentication (it imports `cryptography`),
#: the CBOR serializer of WAMP messages, and `click` (autobahn's coloured log helper).
LAZY_MODULES = frozenset({"autobahn.wamp.auth", "cbor2", "click"})
#: The TLS stack Twisted imports at start (pyOpenSSL, and `cryptography` through it).
TLS_MODULE = "OpenSSL"


class _LazyFinder:
    """Finds the modules of ``names`` as the path finder does, with a loader that runs a module
    at its first attribute access (`importlib.util.LazyLoader`). (A meta path finder by its
    ``find_spec``: `importlib.abc` itself would import `importlib.resources`, `tempfile` and more.)"""

    def __init__(self, names: Iterable[str]) -> None:
        self.names = frozenset(names)

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> Any:
        if name not in self.names:
            return None
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return spec
        spec.loader = importlib.util.LazyLoader(spec.loader)
        return spec


def lazy_modules(names: Iterable[str] = LAZY_MODULES) -> None:
    """From now on, ``names`` (not yet imported) load lazily; once per process."""
    if not any(isinstance(finder, _LazyFinder) for finder in sys.meta_path):
        sys.meta_path.insert(0, _LazyFinder(names))


def wants_tls(argv: Iterable[str]) -> bool:
    """Whether daphne's arguments ask for a TLS endpoint (``-e ssl:...``, or any ``ssl:`` one)."""
    return any("ssl:" in arg for arg in argv)


@contextlib.contextmanager
def hidden_tls() -> Iterator[None]:
    """``OpenSSL`` cannot be imported inside (unless it already was): Twisted, imported here,
    goes without TLS. Outside, the name is importable again."""
    if TLS_MODULE in sys.modules:
        yield
        return
    sys.modules[TLS_MODULE] = None  # type: ignore[assignment]  # the import system's "not installed"
    try:
        yield
    finally:
        if sys.modules.get(TLS_MODULE, 0) is None:
            del sys.modules[TLS_MODULE]
