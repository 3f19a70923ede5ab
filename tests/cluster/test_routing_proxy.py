"""The routed production layout, through a real nginx: lobby creation and lookup name the owner's
route, a socket carrying it reaches the owner (nobody relayed), and sockets without it are
spread over the pool (some relayed). The nginx configuration is game.cluster.proxyconf's, the
generator of docs/deploy/nginx-routed.conf."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from game.cluster.proxyconf import EXAMPLE, nginx_http
from game.loadtest.relayshare import scrape
from tests.liveserver import HTTP_TIMEOUT_S, free_port

from .harness import Player

pytestmark = pytest.mark.server
ROOT = Path(__file__).resolve().parents[2]
NGINX = shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if os.path.exists(p)), None)


def test_the_shipped_nginx_example_is_the_generators_output():
    shipped = (ROOT / "docs" / "deploy" / "nginx-routed.conf").read_text()
    assert shipped == nginx_http(EXAMPLE)


@pytest.fixture
def nginx(tmp_path):
    if NGINX is None:
        pytest.skip("nginx is not installed (apt-get install nginx-light): the routed layout is tested through it")
    procs = []

    def start(routes: dict[str, str]) -> tuple[str, Path]:
        port, log = free_port(), tmp_path / "access.log"
        http = nginx_http(routes, listen=f"127.0.0.1:{port}", server_name="127.0.0.1", static_root="",
                          access_log=str(log))
        temp = "".join(f"{kind}_temp_path {tmp_path}/{kind};\n" for kind in ("client_body", "proxy", "fastcgi",
                                                                            "uwsgi", "scgi"))
        user = "user root;\n" if os.geteuid() == 0 else ""
        conf = tmp_path / "nginx.conf"
        conf.write_text(f"{user}worker_processes 1;\npid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\n"
                        f"events {{ worker_connections 256; }}\nhttp {{\n{temp}{http}}}\n")
        procs.append(subprocess.Popen([NGINX, "-p", str(tmp_path), "-c", str(conf), "-g", "daemon off;"],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.PIPE))
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                return f"127.0.0.1:{port}", log
            except OSError:
                assert procs[-1].poll() is None, procs[-1].stderr.read().decode()
                assert time.monotonic() < deadline, "nginx did not start"
                time.sleep(0.05)

    yield start
    for proc in procs:
        proc.terminate()
        proc.wait(timeout=10)


def api(base: str, path: str, body: dict | None = None) -> dict:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(f"http://{base}{path}", data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT_S) as reply:
        return json.loads(reply.read())


def test_nginx_sends_each_lobbys_sockets_to_its_owner(cluster, nginx):
    for name in "AB":
        cluster.env["GAME_ROUTE"] = f"r{name.lower()}"
        cluster.start(name)
    ports = {"ra": cluster.ports["A"], "rb": cluster.ports["B"]}
    base, access_log = nginx({route: f"127.0.0.1:{port}" for route, port in ports.items()})
    created = [api(base, "/api/lobbies", {"game": "arena"}) for _ in range(4)]  # the pool takes turns
    assert {c["route"] for c in created} == {"ra", "rb"}
    for lobby in created:  # any process answers a lookup with the owner's route
        assert api(base, f"/api/lobbies/{lobby['code']}")["route"] == lobby["route"]
    listed = {s["code"]: s.get("route") for s in api(base, "/api/lobbies")["lobbies"]}
    assert listed == {c["code"]: c["route"] for c in created}
    processes = [cluster.http("A"), cluster.http("B")]

    async def seat(lobby: dict, name: str, route: str | None) -> Player:
        query = f"name={name}" + (f"&route={route}" if route else "")
        player = await Player(f"ws://{base}/ws/lobby/{lobby['code']}/?{query}", f"http://{base}").connect()
        await player.until(lambda f: f["k"] == "welcome")
        return player

    async def play() -> None:
        routed = [await seat(lobby, f"p{i}", lobby["route"]) for i, lobby in enumerate(created)]
        share = await asyncio.to_thread(scrape, processes, "cluster-test")
        assert share["members"] == 4 and share["relayed"] == 0
        unrouted = [await seat(lobby, f"u{i}{j}", None) for i, lobby in enumerate(created) for j in range(2)]
        share = await asyncio.to_thread(scrape, processes, "cluster-test")
        assert share["members"] == 12 and share["relayed"] > 0  # the pool spreads them: some relayed
        for player in routed + unrouted:
            await player.ws.close()

    asyncio.run(play())
    lines = [line for line in access_log.read_text().splitlines() if "route=" in line.split(" upstream=")[0]]
    assert len(lines) == 4
    for line in lines:  # each routed socket went to its owner's port, and only there
        route = line.split("route=")[1].split()[0].split("&")[0]
        assert line.split("upstream=")[1].split()[0] == f"127.0.0.1:{ports[route]}", line
