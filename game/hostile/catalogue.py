"""The catalogue: every attack, what a sound server answers, and the most time it may take.

Attacks run one after another, in this order; the two that hold connections open and wait
(``group="hold"``) run at the same time and share one observer window.
"""

from __future__ import annotations

from game.hostile import attacks_edge as edge
from game.hostile import attacks_frames as frames
from game.hostile import attacks_http as http
from game.hostile.outcome import Attack, Plan


def _seconds(value: float):
    return lambda plan: value


def _queries() -> list[Attack]:
    expected = {"query-non-ascii": "close 4001 (resume and token)", "query-bad-role": "close 4001",
                "query-bad-version": "close 4000", "query-huge-name": "close 4001",
                "query-many-fields": "close 4001"}
    return [Attack(name, "observer", text, edge.query_attack(name), edge.judge_query,
                   _seconds(6.0 * len(edge.QUERIES[name][0])))
            for name, text in expected.items()]


def _frames() -> list[Attack]:
    expected = {"frames-bad-msgpack": "error bad_frame", "frames-wrong-types": "errors bad_field, bad_version",
                "frames-unknown-kind": "error unknown_kind"}
    malformed = [Attack(name, "victim", text, frames.malformed_attack(name), frames.judge_malformed, _seconds(10))
                 for name, text in expected.items()]
    return [
        *malformed,
        Attack("frames-oversized-70k", "observer", "close 1009", frames.oversized_frame, frames.judge_close_1009,
               _seconds(12)),
        Attack("frames-header-1mib", "observer", "close 1009 at the header", frames.huge_header,
               frames.judge_close_1009, _seconds(10)),
        Attack("flood-pings-single", "victim", "rate_limited, close 4029", frames.ping_flood_single,
               frames.judge_flood, _seconds(12)),
        Attack("flood-pings-pipelined", "observer", "close 4029 (20,000 pings, one write)",
               frames.ping_flood_pipelined, frames.judge_flood, _seconds(12)),
        Attack("roles-spectator-input", "victim", "forbidden (input, ready)", frames.spectator_input,
               frames.judge_forbidden, _seconds(10)),
        Attack("roles-non-host-commands", "victim", "forbidden x7, nothing changes", frames.non_host_commands,
               frames.judge_forbidden, _seconds(12)),
    ]


def _holds() -> list[Attack]:
    return [
        Attack("slow-reader", "victim", "close 4008 (or cut) while it holds", frames.slow_reader,
               frames.judge_slow_reader, lambda plan: plan.slow_reader_s + 15, group="hold"),
        Attack("handshakes-unfinished", "victim", "all dropped by the deadline", edge.unfinished_handshakes,
               edge.judge_unfinished, lambda plan: plan.handshake_deadline_s + 10, group="hold"),
    ]


def _edge() -> list[Attack]:
    return [
        Attack("upgrade-bad-origin", "victim", "HTTP 403 (or 400)", edge.bad_origin, edge.judge_refused_upgrade,
               _seconds(8)),
        Attack("upgrade-foreign-host", "victim", "HTTP 400 (or 403)", edge.foreign_host,
               edge.judge_refused_upgrade, _seconds(8)),
        Attack("sockets-per-address", "victim", "4030 past the limit", edge.many_sockets, edge.judge_many_sockets,
               lambda plan: 15 + 0.25 * plan.max_connections),
    ]


def _http() -> list[Attack]:
    expected = "4xx JSON, never 500"
    bodies = [Attack(name, "http", expected, http.body_attack(name), http.judge_bodies, _seconds(40))
              for name in http.BODIES]
    return [*bodies, Attack("lobbies-per-address", "http", "429 past the limit", http.lobby_flood,
                            http.judge_lobby_flood, lambda plan: 20 + 3 * plan.lobby_limit)]


CATALOGUE: list[Attack] = _queries() + _frames() + _holds() + _edge() + _http()
NAMES = [attack.name for attack in CATALOGUE]


def select(plan: Plan) -> list[Attack]:
    """The attacks of ``plan.only`` (all when empty), in catalogue order; raises KeyError."""
    unknown = [name for name in plan.only if name not in NAMES]
    if unknown:
        raise KeyError(", ".join(unknown))
    return [attack for attack in CATALOGUE if not plan.only or attack.name in plan.only]
