"""The matchmaking and staff-dashboard tables of the wire protocol: the browser's copy
(frontend/src/protocol.js) agrees with game/protocol.py, docs/protocol.md lists every kind, and
frames of one socket are not accepted on another."""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest

from game import protocol
from tests.game.test_protocol_tables import ROOT

NODE = shutil.which("node")
TABLES = ("QUEUE_SERVER_KINDS", "QUEUE_CLIENT_KINDS", "STAFF_SERVER_KINDS", "STAFF_CLIENT_KINDS")

DUMP = """
await import(new URL('tests/frontend/msgpack-resolve.mjs', ROOT).href);  // '@msgpack/msgpack' as the import map has it
const P = await import(new URL('frontend/src/protocol.js', ROOT).href);
const roles = (t) => Object.fromEntries(Object.entries(t).map(([k, v]) => [k, v.role]));
console.log(JSON.stringify({
  QUEUE_SERVER_KINDS: P.QUEUE_SERVER_KINDS, STAFF_SERVER_KINDS: P.STAFF_SERVER_KINDS,
  QUEUE_CLIENT_KINDS: roles(P.QUEUE_CLIENT_KINDS), STAFF_CLIENT_KINDS: roles(P.STAFF_CLIENT_KINDS),
  kick: Buffer.from(P.encodeClient('kick', { code: 'ABCD12', target: 3 }, P.STAFF_CLIENT_KINDS)).toString('hex'),
  join: Buffer.from(P.encodeClient('join', {}, P.QUEUE_CLIENT_KINDS)).toString('hex'),
}));
"""


@pytest.fixture(scope="module")
def js() -> dict:
    if NODE is None:
        pytest.skip("node is not installed: the browser's protocol tables cannot be loaded")
    script = f"const ROOT = {json.dumps(ROOT.as_uri() + '/')};\n" + DUMP
    done = subprocess.run([NODE, "--input-type=module", "-e", script], capture_output=True, text=True,
                          timeout=60, cwd=ROOT, check=False)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.mark.parametrize("table", TABLES)
def test_the_browser_tables_agree(js: dict, table: str) -> None:
    ours = getattr(protocol, table)
    if table.endswith("SERVER_KINDS"):
        assert {kind: tuple(fields) for kind, fields in js[table].items()} == ours
    else:
        assert js[table] == {kind: role for kind, (_validate, role) in ours.items()}


def test_browser_frames_are_byte_identical_and_accepted(js: dict) -> None:
    kick = bytes.fromhex(js["kick"])
    assert kick == protocol.encode_client("kick", code="ABCD12", target=3)
    assert protocol.decode_client(kick, protocol.STAFF_CLIENT_KINDS) == ("kick", {"code": "ABCD12", "target": 3})
    assert protocol.decode_client(bytes.fromhex(js["join"]), protocol.QUEUE_CLIENT_KINDS) == ("join", {})


@pytest.mark.parametrize(("kind", "fields", "kinds"), [
    ("join", {}, protocol.CLIENT_KINDS),  # a queue kind on a lobby socket
    ("close_lobby", {"code": "ABCD"}, protocol.CLIENT_KINDS),
    ("start", {}, protocol.QUEUE_CLIENT_KINDS),
    ("kick", {"target": 1}, protocol.QUEUE_CLIENT_KINDS),
    ("join", {}, protocol.STAFF_CLIENT_KINDS),
])
def test_a_kind_is_only_accepted_by_its_own_socket(kind, fields, kinds) -> None:
    with pytest.raises(protocol.ProtocolError) as refused:
        protocol.decode_client(protocol.encode_client(kind, **fields), kinds)
    assert refused.value.code == "unknown_kind"


@pytest.mark.parametrize("code", ["", "abc", "ABCDEFGHIJKLM", "AB-CD", "ÄBCD", 12345, None])
def test_a_lobby_code_must_be_4_to_12_ascii_letters_and_digits(code) -> None:
    with pytest.raises(protocol.ProtocolError) as refused:
        protocol.decode_client(protocol.encode_client("close_lobby", code=code), protocol.STAFF_CLIENT_KINDS)
    assert (refused.value.code, refused.value.ref) == ("bad_field", "code")


def test_docs_list_every_matchmaking_and_dashboard_kind() -> None:
    text = (ROOT / "docs" / "protocol.md").read_text(encoding="utf-8")
    section = text[text.index("## Matchmaking"):text.index("## Games")]
    for table in TABLES:
        for kind in getattr(protocol, table):
            if kind not in ("error", "pong"):
                assert re.search(rf"^\| `{kind}` \|", section, re.MULTILINE), f"docs/protocol.md does not list {kind}"
    own = [fields for table in (protocol.QUEUE_SERVER_KINDS, protocol.STAFF_SERVER_KINDS)
           for kind, fields in table.items() if kind not in ("error", "pong")]  # those two: as for lobbies
    for fields in own:
        for field in fields:
            assert f"`{field}`" in section, f"docs/protocol.md does not describe the field {field}"
