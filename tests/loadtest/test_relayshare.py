"""The relayed share read from each process's /metrics."""

from __future__ import annotations

from game.loadtest.relayshare import line, relayed_share

OWNER = """# HELP game_players Seated players in this process.
game_players 16
game_spectators 2
game_cluster_remote_members 3
"""
OTHER = """game_players 8
game_spectators 0
game_cluster_remote_members 0
"""


def test_the_share_sums_every_process():
    share = relayed_share([OWNER, OTHER])
    assert share == {"members": 26.0, "relayed": 3.0, "share": 3 / 26}
    assert "3 of 26 (11.5%" in line(share)


def test_no_member_is_no_share():
    assert relayed_share(["game_players 0\n"])["share"] == 0.0
