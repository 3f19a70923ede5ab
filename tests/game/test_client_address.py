"""Who a client is: `game.limits.client_address` (the peer, or behind a trusted proxy the
address it saw) and `limit_key` (what the limits per address count)."""

from __future__ import annotations

import subprocess

import pytest

from game.limits import client_address, limit_key


def scope(peer: str | None, *forwarded: str) -> dict:
    return {"type": "http", "client": (peer, 4321) if peer is not None else None,
            "headers": [(b"x-forwarded-for", value.encode()) for value in forwarded]}


@pytest.fixture
def proxies(settings):
    def trust(*items: str) -> None:
        settings.GAME = {**settings.GAME, "TRUSTED_PROXIES": list(items)}
    trust()
    return trust


def test_without_trusted_proxies_no_header_is_read(proxies):
    assert client_address(scope("203.0.113.9", "198.51.100.1")) == "203.0.113.9"
    assert client_address(scope("203.0.113.9")) == "203.0.113.9"


def test_a_peer_that_is_not_a_trusted_proxy_is_the_client(proxies):
    proxies("10.0.0.0/8")
    assert client_address(scope("203.0.113.9", "198.51.100.1")) == "203.0.113.9"


def test_behind_a_trusted_proxy_the_right_most_untrusted_entry_is_the_client(proxies):
    proxies("10.0.0.0/8", "192.0.2.7")
    # The client wrote a fake entry first; the proxies appended what they saw.
    assert client_address(scope("10.1.2.3", "1.1.1.1, 198.51.100.4, 192.0.2.7")) == "198.51.100.4"
    assert client_address(scope("10.1.2.3", "1.1.1.1", "198.51.100.4")) == "198.51.100.4"  # two headers
    assert client_address(scope("10.1.2.3")) == "10.1.2.3"  # the proxy itself, or no header


def test_a_header_of_only_trusted_hops_gives_the_left_most_of_them(proxies):
    proxies("10.0.0.0/8")
    assert client_address(scope("10.0.0.1", "10.0.0.9, 10.0.0.5")) == "10.0.0.9"


def test_garbage_stops_the_walk_at_the_last_trusted_hop(proxies):
    proxies("10.0.0.0/8")
    assert client_address(scope("10.0.0.1", "198.51.100.4, not-an-address")) == "10.0.0.1"
    assert client_address(scope("10.0.0.1", "198.51.100.4, , 10.0.0.2")) == "10.0.0.2"
    assert client_address(scope("10.0.0.1", "198.51.100.4, 10.0.0.2, ")) == "10.0.0.1"


def test_ports_brackets_and_mapped_addresses(proxies):
    proxies("::1", "127.0.0.1")
    assert client_address(scope("::1", "198.51.100.4:5555")) == "198.51.100.4"
    assert client_address(scope("127.0.0.1", "[2001:db8::1]:443")) == "2001:db8::1"
    assert client_address(scope("::ffff:127.0.0.1", "2001:DB8::0:1")) == "2001:db8::1"
    assert client_address(scope("::ffff:198.51.100.4")) == "198.51.100.4"


def test_no_peer_address(proxies):
    assert client_address(scope(None)) is None
    assert client_address({"type": "websocket"}) is None


def test_limits_count_ipv6_by_network(settings):
    assert limit_key("198.51.100.4") == "198.51.100.4"
    assert limit_key("2001:db8:1:2:aaaa::1") == limit_key("2001:db8:1:2:bbbb::2") == "2001:db8:1:2::/64"
    assert limit_key(None) == "?"
    settings.GAME = {**settings.GAME, "IPV6_PREFIX_BITS": 128}
    assert limit_key("2001:db8:1:2:aaaa::1") == "2001:db8:1:2:aaaa::1"


def test_trusted_proxies_come_from_the_environment_and_are_checked():
    from tests.gameserver.test_settings import settings_with
    env = {"DEBUG": "1", "GAME_TRUSTED_PROXIES": "10.0.0.0/8, 192.0.2.7 ,::1"}
    assert settings_with(env, "s.GAME['TRUSTED_PROXIES']") == "['10.0.0.0/8', '192.0.2.7', '::1']"
    assert settings_with({"DEBUG": "1"}, "s.GAME['TRUSTED_PROXIES']") == "[]"
    with pytest.raises(subprocess.CalledProcessError) as refused:
        settings_with({"DEBUG": "1", "GAME_TRUSTED_PROXIES": "10.0.0.0/8,proxy.internal"}, "1")
    assert "proxy.internal" in refused.value.stderr and "ImproperlyConfigured" in refused.value.stderr
