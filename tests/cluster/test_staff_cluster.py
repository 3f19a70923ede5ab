"""Staff act on a lobby another process owns: a dashboard socket on B kicks a member of, then
closes, a lobby run by A (the command travels to its owner as members' commands do)."""

from __future__ import annotations

import asyncio
import subprocess
import sys

import websockets

from game import protocol

from .harness import ROOT
from .test_cluster import seat

MAKE_STAFF = """
from django.contrib.auth import get_user_model
from django.contrib.sessions.backends.db import SessionStore
users = get_user_model().objects  # (the cluster tests share one database)
user = users.filter(username="ops").first() or users.create_user("ops", password="pw-for-tests", is_staff=True)
session = SessionStore()
session["_auth_user_id"] = str(user.pk)
session["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
session["_auth_user_hash"] = user.get_session_auth_hash()
session.create()
print(session.session_key)
"""


def test_staff_on_one_process_kick_and_close_a_lobby_owned_by_another(cluster):
    for name in "AB":
        cluster.start(name)
    created = cluster.create_lobby("A", game="arena", name="moderated")
    code, token = created["code"], created["host_token"]
    session = subprocess.run([sys.executable, "manage.py", "shell", "-c", MAKE_STAFF], cwd=ROOT, env=cluster.env,
                             capture_output=True, text=True, check=True, timeout=120).stdout.split()[-1]

    async def moderate():
        host = await seat(cluster, "A", code, f"name=host&token={token}")
        rowdy = await seat(cluster, "B", code, "name=rowdy")
        staff_url = f"ws://127.0.0.1:{cluster.ports['B']}/ws/staff/?v={protocol.PROTOCOL_VERSION}"
        async with websockets.connect(staff_url, origin=cluster.http("B"),
                                      additional_headers={"Cookie": f"sessionid={session}"}) as staff:
            async def answer(kind: str) -> dict:
                while True:
                    frame = protocol.decode_server(await asyncio.wait_for(staff.recv(), 10))
                    if frame["k"] in (kind, "error"):
                        return frame

            await staff.send(protocol.encode_client("kick", code=code, target=rowdy.welcome["you"]))
            done = await answer("done")
            assert done["k"] == "done" and done["code"] == code, done
            assert await rowdy.closed() == 4005  # kicked, by the owner's loop on A
            kicked = await host.event("kicked")
            assert kicked["id"] == rowdy.welcome["you"] and kicked["by"] == 0  # 0: staff, from the dashboard
            await staff.send(protocol.encode_client("close_lobby", code=code))
            assert (await answer("done"))["k"] == "done"
            assert await host.closed() == 4011
            await staff.send(protocol.encode_client("close_lobby", code="NOSUCH"))
            refused = await answer("done")
            assert refused["k"] == "error" and refused["code"] == "not_found", refused

    asyncio.run(moderate())
    assert "staff ops: kick lobby" in cluster.log("B")


def test_a_dashboard_on_one_process_shows_the_lobbies_and_totals_of_every_process(cluster):
    for name in "AB":
        cluster.start(name)
    on_a = cluster.create_lobby("A", game="arena", name="on A")["code"]
    on_b = cluster.create_lobby("B", game="arena", name="on B")["code"]
    session = subprocess.run([sys.executable, "manage.py", "shell", "-c", MAKE_STAFF], cwd=ROOT, env=cluster.env,
                             capture_output=True, text=True, check=True, timeout=120).stdout.split()[-1]

    async def watch():
        staff_url = f"ws://127.0.0.1:{cluster.ports['B']}/ws/staff/?v={protocol.PROTOCOL_VERSION}"
        async with websockets.connect(staff_url, origin=cluster.http("B"),
                                      additional_headers={"Cookie": f"sessionid={session}"}) as staff:
            async with asyncio.timeout(15):
                while True:
                    frame = protocol.decode_server(await staff.recv())
                    if frame["k"] != "dashboard":
                        continue
                    codes = {lobby["code"] for lobby in frame["lobbies"]}
                    if frame["process"].get("processes") == 2 and {on_a, on_b} <= codes:
                        return frame

    frame = asyncio.run(watch())
    assert frame["process"]["lobbies"] == 2 and frame["process"]["phases"]["waiting"] == 2
    elsewhere = next(lobby for lobby in frame["lobbies"] if lobby["code"] == on_a)
    assert elsewhere["pid"] == cluster.procs["A"].pid  # shown with the process that runs it
