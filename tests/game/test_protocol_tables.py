"""The browser's protocol tables (frontend/src/protocol.js) agree with game/protocol.py, and
docs/protocol.md lists every error and close code.

Node imports protocol.js (its '@msgpack/msgpack' import resolved to the vendored copy, as the
page's import map does) and prints its tables as JSON.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from game import protocol

ROOT = Path(__file__).resolve().parents[2]
NODE = shutil.which("node")

DUMP = """
import { register } from 'node:module';
const vendored = new URL('static/vendor/msgpack/index.mjs', ROOT).href;
register('data:text/javascript,' + encodeURIComponent(
  `export async function resolve(s, c, next) {
     if (s === '@msgpack/msgpack') return { url: ${JSON.stringify(vendored)}, shortCircuit: true };
     return next(s, c);
   }`));
const P = await import(new URL('frontend/src/protocol.js', ROOT).href);
const samples = JSON.parse(process.argv[1]);
const encoded = samples.map(([kind, fields]) => Buffer.from(P.encodeClient(kind, fields)).toString('hex'));
console.log(JSON.stringify({
  PROTOCOL_VERSION: P.PROTOCOL_VERSION, MAX_FRAME_BYTES: P.MAX_FRAME_BYTES,
  MAX_CHAT_CHARS: P.MAX_CHAT_CHARS, MAX_NAME_CHARS: P.MAX_NAME_CHARS,
  ROLES: P.ROLES, PHASES: P.PHASES, ERRORS: P.ERRORS, CLOSE_CODES: P.CLOSE_CODES,
  SERVER_KINDS: P.SERVER_KINDS,
  CLIENT_KINDS: Object.fromEntries(Object.entries(P.CLIENT_KINDS).map(([k, v]) => [k, v.role])),
  ERROR_MESSAGES: P.ERROR_MESSAGES, CLOSE_MESSAGES: P.CLOSE_MESSAGES, encoded,
}));
"""

SAMPLES = [
    ("ping", {"id": 7, "ct": 1234.5}),
    ("input", {"input_seq": 3, "d": {"mx": 1, "my": -1, "aim": 0.5, "fire": True}}),
    ("chat", {"text": "héllo <b>"}),
    ("ready", {"ready": False}),
    ("settings", {"settings": {"score_limit": 3, "private": True}}),
    ("kick", {"target": 2}),
    ("close", {}),
]


@pytest.fixture(scope="module")
def js() -> dict:
    if NODE is None:
        pytest.skip("node is not installed: the browser's protocol tables cannot be loaded")
    script = f"const ROOT = {json.dumps(ROOT.as_uri() + '/')};\n" + DUMP
    done = subprocess.run([NODE, "--input-type=module", "-e", script, json.dumps(SAMPLES)],
                          capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_limits_and_version_agree(js: dict) -> None:
    assert js["PROTOCOL_VERSION"] == protocol.PROTOCOL_VERSION
    assert js["MAX_FRAME_BYTES"] == protocol.MAX_FRAME_BYTES
    assert js["MAX_CHAT_CHARS"] == protocol.MAX_CHAT_CHARS
    assert js["MAX_NAME_CHARS"] == protocol.MAX_NAME_CHARS
    assert tuple(js["ROLES"]) == protocol.ROLES
    assert tuple(js["PHASES"]) == protocol.PHASES


def test_error_codes_agree(js: dict) -> None:
    assert js["ERRORS"] == protocol.ERRORS


def test_close_codes_agree(js: dict) -> None:
    assert {int(code): tuple(entry) for code, entry in js["CLOSE_CODES"].items()} == protocol.CLOSE_CODES


def test_server_kinds_agree(js: dict) -> None:
    assert {kind: tuple(fields) for kind, fields in js["SERVER_KINDS"].items()} == protocol.SERVER_KINDS


def test_client_kinds_and_roles_agree(js: dict) -> None:
    assert js["CLIENT_KINDS"] == {kind: role for kind, (_validate, role) in protocol.CLIENT_KINDS.items()}


def test_every_code_has_a_message_for_people(js: dict) -> None:
    assert set(js["ERROR_MESSAGES"]) == set(protocol.ERRORS)
    assert set(js["CLOSE_MESSAGES"]) == {name for name, _meaning in protocol.CLOSE_CODES.values()}


def test_browser_frames_are_byte_identical_and_accepted(js: dict) -> None:
    for (kind, fields), encoded in zip(SAMPLES, js["encoded"], strict=True):
        data = bytes.fromhex(encoded)
        assert data == protocol.encode_client(kind, **fields), kind
        decoded_kind, _cleaned = protocol.decode_client(data)
        assert decoded_kind == kind


def test_docs_list_every_error_and_close_code() -> None:
    text = (ROOT / "docs" / "protocol.md").read_text(encoding="utf-8")
    for code in protocol.ERRORS:
        assert re.search(rf"^\| `{code}` \|", text, re.M), f"docs/protocol.md does not list error code {code}"
    for code, (name, _meaning) in protocol.CLOSE_CODES.items():
        assert re.search(rf"^\| {code} \| `{name}` \|", text, re.M), f"docs/protocol.md does not list close code {code}"
