"""Match continuity, the successor's side: a lobby taken over with its match still playing.

The lobby's state in the directory says which match was running (`snapshot.lobby_state`);
its input log (game.cluster.inputlog) holds that match's header and every entry the old
owner recorded, up to the last tick it logged, and now and then a copy of the game. The new
owner makes the game again — from that copy, or from the seed — runs it through the logged
entries to that tick (`Match.resume`, `game.engine.replay.catch_up`), and plays on under its
own epoch: the same match id, the whole log in its recorder, one record when it ends.

A match with no usable log (continuity off, a log lost with Redis, a gap) is recorded as
aborted (``owner_lost``) as before, and a match still counting down starts its countdown
again.
"""

from __future__ import annotations

import io
import logging
import pickle
from typing import Any

from game.cluster.inputlog import read_log
from game.cluster.keys import Keys
from game.cluster.snapshot import restore_lobby
from game.engine.bots import BOT_CONNECTION
from game.engine.lobby import Lobby, Member
from game.engine.match import Match
from game.engine.replay import ReplayError, rules_version

log = logging.getLogger("game.cluster")

# What a game's pickled copy may name besides the rules' own classes (game.rules.*).
_SAFE_BUILTINS = {("builtins", "set"), ("builtins", "frozenset"), ("builtins", "complex"),
                  ("collections", "deque"), ("collections", "OrderedDict"), ("collections", "defaultdict"),
                  ("copyreg", "_reconstructor"), ("builtins", "object")}


class _RulesUnpickler(pickle.Unpickler):
    """Loads only classes of the rules modules and a few containers (Python's documented way
    to restrict what a pickle may name): a game copy in Redis cannot run other code."""

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in _SAFE_BUILTINS:
            return super().find_class(module, name)
        if module.startswith("game.rules.") and "." not in name:
            found = super().find_class(module, name)
            if isinstance(found, type):
                return found
        raise pickle.UnpicklingError(f"a game copy may not name {module}.{name}")


def load_game(data: bytes) -> Any:
    """A game from its pickled copy (inputlog's snapshots)."""
    return _RulesUnpickler(io.BytesIO(data)).load()


async def restore(redis, keys: Keys, state: dict[str, Any], *, detached: Any,
                  grace_s: float) -> tuple[Lobby, dict[str, Any] | None, str]:
    """The lobby of ``state`` for a new owner, with what to do about its match:
    ``(lobby, resume, how)``. ``how`` is ``"none"`` (no match running), ``"resume"``
    (``resume`` holds the log to rebuild it from: `install` it once the lobby runs),
    ``"countdown"`` (start the countdown again) or ``"lost"`` (no usable log: the caller
    records the match as aborted)."""
    lobby = restore_lobby(state, detached=detached, grace_s=grace_s)
    info = state.get("match")
    if not info or state.get("phase") not in ("countdown", "playing"):
        return lobby, None, "none"
    if not info.get("started_ms"):
        lobby.phase = "waiting"
        return lobby, None, "countdown"
    try:
        header, entries, ticks, snapshot = await read_log(redis, keys, lobby.code)
    except Exception:
        log.warning("lobby %s: its input log could not be read", lobby.code, exc_info=True)
        header = None
    if header is None or header.get("match") != info["id"]:
        return lobby, None, "lost"
    if header.get("rules") != rules_version(lobby.game_cls):  # logged under other rules (an upgrade)
        log.warning("lobby %s: its match was logged under other rules; it cannot go on", lobby.code)
        return lobby, None, "lost"
    _reseat_bots(lobby, state, header)
    lobby.phase = "playing"
    return lobby, {"header": header, "entries": entries, "ticks": ticks, "snapshot": snapshot,
                   "started_ms": info["started_ms"]}, "resume"


def install(loop: Any, resume: dict[str, Any]) -> Match | None:
    """Rebuild the match in ``loop`` (just adopted, before its first tick) from its log;
    None (and the lobby left finished) when the log does not replay."""
    game, game_ticks, applied = None, 0, 0
    snapshot = resume["snapshot"]
    if snapshot is not None:
        try:
            game_ticks, applied, game = snapshot[0], snapshot[1], load_game(snapshot[2])
        except Exception:
            log.warning("lobby %s: its game copy does not load; replaying from the seed", loop.lobby.code,
                        exc_info=True)
            game, game_ticks, applied = None, 0, 0
    try:
        match = Match.resume(loop.lobby, header=resume["header"], entries=resume["entries"], ticks=resume["ticks"],
                             started_ms=resume["started_ms"], game=game, game_ticks=game_ticks, applied=applied,
                             submit_input=loop.submit_input)
    except (ReplayError, KeyError, TypeError, ValueError):
        log.exception("lobby %s: its input log does not replay", loop.lobby.code)
        loop.lobby.phase = "finished"
        return None
    loop.match = match
    loop.broadcaster.new_match()
    loop.lobby.changed = True
    return match


def _reseat_bots(lobby: Lobby, state: dict[str, Any], header: dict[str, Any]) -> None:
    """The bots of the running match sit on (`restore_lobby` drops them: a match over is theirs)."""
    roster = {who["id"] for who in header["roster"]}
    for seat in state["members"]:
        if seat.get("bot") and seat["id"] in roster and seat["id"] not in lobby.members:
            lobby.members[seat["id"]] = Member(id=seat["id"], name=seat["name"], role="player",
                                               identity=seat["identity"], conn=BOT_CONNECTION, ready=True,
                                               bot=True, in_match=True)
