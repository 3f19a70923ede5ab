"""`make run` is the README's first command: its daphne command line must start a server."""

from __future__ import annotations

import os
import signal
import subprocess
import time
import urllib.request

import pytest

from tests.liveserver import ROOT, free_port

pytestmark = pytest.mark.server


def test_the_make_run_command_line_starts_daphne(tmp_path):
    port = free_port()
    dry = subprocess.run(["make", "-n", "run", f"PORT={port}"], cwd=ROOT, capture_output=True, text=True, check=True)
    command = [line for line in dry.stdout.splitlines() if "daphne" in line][-1]
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env["SQLITE_PATH"] = str(tmp_path / "run.sqlite3")
    subprocess.run([".venv/bin/python", "manage.py", "migrate", "-v", "0"], cwd=ROOT, env={**env, "DEBUG": "1"},
                   check=True)
    proc = subprocess.Popen(command, shell=True, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            start_new_session=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            assert proc.poll() is None, proc.stdout.read().decode()[-2000:]
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1) as reply:
                    status, body = reply.status, reply.read()
                break
            except OSError:
                assert time.monotonic() < deadline, "make run's daphne did not answer"
                time.sleep(0.2)
        assert status == 200 and b'data-page="lobbies"' in body
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(10)
