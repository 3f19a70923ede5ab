"""Many spectators: a lobby frame lists the first LISTED_SPECTATORS of them by name and counts
them all, so that each join is not a frame as large as the crowd to every one in it."""

from __future__ import annotations

from game.engine.lobby import LISTED_SPECTATORS

from .helpers import make_loop, request
from .test_lifecycle import DT


async def test_a_lobby_frame_lists_players_and_staff_and_the_first_spectators_and_counts_them_all():
    loop, _clock, hooks = make_loop()
    host_req, _ = request("host", creator=True)
    loop.submit_join(host_req)
    watchers = LISTED_SPECTATORS + 30
    for i in range(watchers):
        loop.submit_join(request(f"w{i}", role="spectator")[0])
    staff_req, _ = request("admin", role="spectator", staff=True)
    loop.submit_join(staff_req)
    loop.step_tick(DT)
    state = loop.lobby.state()
    listed = [m["name"] for m in state["members"]]
    assert state["spectators"] == watchers + 1  # the staff member watches too
    assert listed == ["host", *(f"w{i}" for i in range(LISTED_SPECTATORS)), "admin"]
    lobby_frames = [f for f in hooks.published if f["k"] == "lobby"]
    assert lobby_frames and len(lobby_frames[-1]["lobby"]["members"]) == LISTED_SPECTATORS + 2
