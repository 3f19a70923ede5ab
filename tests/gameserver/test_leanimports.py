"""`make run`'s lean start (gameserver/leanimports.py): no TLS stack or WAMP authentication
imported unless an endpoint asks for TLS, and what is left out still works when used."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import json, sys
from gameserver import rundaphne
rundaphne.prepare(sys.argv[1:])
loaded = lambda name: name in sys.modules and type(sys.modules[name]).__name__ != "_LazyModule"
seen = {name: loaded(name) for name in ("OpenSSL", "cryptography", "autobahn.wamp.auth", "cbor2", "click")}
import twisted.internet.reactor as reactor
from twisted.internet import tcp
seen["reactor"] = type(reactor).__name__
seen["tls_transport"] = tcp.ITLSTransport.__name__ == "ITLSTransport"  # else zope's plain Interface
import click
seen["click_works"] = click.style("x", bold=True) != "x"
import OpenSSL.SSL
seen["openssl_importable"] = hasattr(OpenSSL.SSL, "Context")
print(json.dumps(seen))
"""


def _probe(*argv: str) -> dict:
    out = subprocess.run([sys.executable, "-c", PROBE, *argv], cwd=ROOT, capture_output=True, text=True,
                         check=True, timeout=120)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_the_plain_start_leaves_tls_and_wamp_out_and_they_still_load_when_used():
    seen = _probe("-b", "127.0.0.1", "-p", "8000", "gameserver.asgi:application")
    assert seen["reactor"] == "LeanAsyncioReactor"
    assert not seen["OpenSSL"] and not seen["cryptography"] and not seen["tls_transport"]
    assert not seen["autobahn.wamp.auth"] and not seen["cbor2"] and not seen["click"]
    assert seen["click_works"] and seen["openssl_importable"]  # loaded on use, and importable afterwards


def test_a_tls_endpoint_keeps_twisteds_tls():
    seen = _probe("-e", "ssl:8443:privateKey=key.pem", "gameserver.asgi:application")
    assert seen["OpenSSL"] and seen["tls_transport"]
