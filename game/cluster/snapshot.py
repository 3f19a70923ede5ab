"""A lobby to and from the state its owner keeps in the directory (msgpack-able dicts).

The state holds what a new owner needs to go on where the old one stopped: the lobby's
configuration, phase, host, lock, bans, members with their resume tokens, and the match
being played, if any. It holds no game state: a game running when its owner vanished is
recorded as aborted (docs/deploy.md says why), and the lobby goes on in `finished`, ready
for a rematch. Every member comes back detached, with the reconnection grace period to
resume their seat.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from game.engine.lobby import Lobby, LobbyConfig, Member
from game.rules import get_game

STATE_VERSION = 1
# Member fields that describe a live connection, not the seat.
_CONNECTION_FIELDS = {"conn", "connected", "away_for", "pending_inputs", "last_processed_input"}


def lobby_state(lobby: Lobby, match: dict[str, Any] | None) -> dict[str, Any]:
    """What the directory keeps of ``lobby``; ``match`` describes a match being played."""
    return {
        "v": STATE_VERSION, "code": lobby.code, "name": lobby.name, "game": lobby.game_cls.name,
        "max_players": lobby.max_players, "private": lobby.private, "tick_rate": lobby.tick_rate_hz,
        "settings": lobby.settings, "creator_identity": lobby.creator_identity,
        "host_token": lobby.host_token, "phase": lobby.phase, "locked": lobby.locked,
        "host": lobby.host_id, "creator_seated": lobby.creator_seated, "next_id": lobby.next_id,
        "banned_identities": sorted(lobby.banned_identities),
        "banned_addresses": sorted(lobby.banned_addresses),
        "members": [{f.name: getattr(m, f.name) for f in fields(Member) if f.name not in _CONNECTION_FIELDS}
                    for m in lobby.members.values()],
        "match": match,
        # Matchmade lobbies (game.engine.outside): their seats stay reserved for those matched.
        "reserved_seats": dict(lobby.reserved_seats),
        "seat_holders": dict(lobby.seat_holders),
    }


def restore_lobby(state: dict[str, Any], *, detached: Any, grace_s: float) -> Lobby:
    """Rebuild a lobby from its state; every member is away (``detached``) for ``grace_s``.

    A match that was running is not restored: the caller records it as aborted, and the
    lobby is left `finished`.
    """
    if state.get("v") != STATE_VERSION:
        raise ValueError(f"unknown lobby state version {state.get('v')!r}")
    lobby = Lobby(LobbyConfig(
        code=state["code"], name=state["name"], game_cls=get_game(state["game"]),
        max_players=state["max_players"], private=state["private"], tick_rate_hz=state["tick_rate"],
        settings=dict(state["settings"]), creator_identity=state["creator_identity"],
        host_token=state["host_token"], reserved_seats=dict(state.get("reserved_seats") or {})))
    phase = state["phase"]
    lobby.phase = "finished" if phase in ("countdown", "playing") else phase
    lobby.locked = state["locked"]
    lobby.host_id = state["host"]
    lobby.creator_seated = state["creator_seated"]
    lobby.next_id = state["next_id"]
    lobby.banned_identities = set(state["banned_identities"])
    lobby.banned_addresses = set(state["banned_addresses"])
    known = {f.name for f in fields(Member)}
    for seat in state["members"]:
        if seat.get("bot"):
            continue  # bots sit in for one match; the match is over
        member = Member(conn=detached, **{k: v for k, v in seat.items() if k in known})
        member.in_match = False
        member.connected = False
        lobby.members[member.id] = member
        lobby.events.append({"type": "away", "id": member.id, "name": member.name, "grace_s": grace_s})
    lobby.seat_holders = {token: member_id for token, member_id in (state.get("seat_holders") or {}).items()
                          if member_id in lobby.members}
    lobby.changed = True
    return lobby
