"""Gettext catalogs without GNU gettext: read a ``.po`` file and write the ``.mo`` file Django
loads, in pure Python (``manage.py compilepo``).

Django's own ``compilemessages`` runs GNU ``msgfmt``, which a machine with only Python does not
have; the compiled ``.mo`` files are committed beside their ``.po`` (so ``make run`` needs
nothing), and tests/i18n/test_i18n_server.py checks that each ``.mo`` says what its ``.po`` says.

What is read: ``msgctxt``, ``msgid``, ``msgid_plural``, ``msgstr`` and ``msgstr[n]``, strings
continued over lines, the C escapes gettext writes, and flags (a ``#, fuzzy`` entry is left
out, as msgfmt does; so is an untranslated one, which falls back to its msgid).
"""

from __future__ import annotations

import ast
import re
import struct
from dataclasses import dataclass, field
from pathlib import Path

KEYWORD = re.compile(r"^(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?)\s+(\".*\")\s*$")


class PoError(ValueError):
    """A line of a ``.po`` file that is not gettext's syntax."""


@dataclass
class Entry:
    msgid: str = ""
    msgid_plural: str | None = None
    msgctxt: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    fuzzy: bool = False

    @property
    def key(self) -> str:
        """The entry's key in a ``.mo``: context EOT msgid, NUL, plural msgid."""
        key = self.msgid if self.msgid_plural is None else f"{self.msgid}\0{self.msgid_plural}"
        return key if self.msgctxt is None else f"{self.msgctxt}\x04{key}"

    @property
    def value(self) -> str:
        return "\0".join(self.msgstr[i] for i in sorted(self.msgstr))

    @property
    def translated(self) -> bool:
        return bool(self.msgstr) and all(self.msgstr.values())


def _unquote(literal: str, where: str) -> str:
    try:
        return ast.literal_eval(literal)  # gettext's escapes are a subset of Python's
    except (ValueError, SyntaxError):
        raise PoError(f"{where}: not a quoted string: {literal}") from None


def parse_po(text: str, name: str = "<po>") -> list[Entry]:
    """The entries of a ``.po`` file's text, the header (msgid "") first."""
    entries: list[Entry] = []
    entry, target, fuzzy = None, None, False
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        where = f"{name}:{number}"
        if not line or (line.startswith("#") and not line.startswith("#,")):
            continue
        if line.startswith("#,"):
            fuzzy = fuzzy or "fuzzy" in [flag.strip() for flag in line[2:].split(",")]
            continue
        if line.startswith('"'):
            if entry is None or target is None:
                raise PoError(f"{where}: a continued string outside an entry")
            _append(entry, target, _unquote(line, where))
            continue
        match = KEYWORD.match(line)
        if not match:
            raise PoError(f"{where}: not gettext syntax: {raw}")
        word, index, literal = match.groups()
        if word in ("msgctxt", "msgid") and (entry is None or entry.msgstr):
            entry = Entry(fuzzy=fuzzy)
            entries.append(entry)
            fuzzy = False
        if entry is None:
            raise PoError(f"{where}: {word} before any msgid")
        target = (word, int(index)) if index is not None else (word, 0)
        if word == "msgctxt" and entry.msgctxt is None:
            entry.msgctxt = ""
        _append(entry, target, _unquote(literal, where))
    return entries


def _append(entry: Entry, target: tuple[str, int], text: str) -> None:
    word, index = target
    if word == "msgid":
        entry.msgid += text
    elif word == "msgid_plural":
        entry.msgid_plural = (entry.msgid_plural or "") + text
    elif word == "msgctxt":
        entry.msgctxt = (entry.msgctxt or "") + text
    else:
        entry.msgstr[index] = entry.msgstr.get(index, "") + text


def catalog(entries: list[Entry]) -> dict[str, str]:
    """What a ``.mo`` holds: key -> value of each translated entry that is not fuzzy (the
    header always)."""
    return {e.key: e.value for e in entries if e.key == "" or (e.translated and not e.fuzzy)}


def mo_bytes(messages: dict[str, str]) -> bytes:
    """A little-endian GNU ``.mo`` file of ``messages`` (keys sorted, no hash table)."""
    keys = sorted(messages)
    ids = [k.encode("utf-8") for k in keys]
    strs = [messages[k].encode("utf-8") for k in keys]
    count = len(keys)
    ids_at = 7 * 4
    strs_at = ids_at + 8 * count
    data_at = strs_at + 8 * count
    table_ids, table_strs, data = [], [], b""
    for items, table in ((ids, table_ids), (strs, table_strs)):
        for item in items:
            table.append((len(item), data_at + len(data)))
            data += item + b"\0"
    header = struct.pack("<7I", 0x950412DE, 0, count, ids_at, strs_at, 0, 0)
    tables = b"".join(struct.pack("<2I", *pair) for pair in table_ids + table_strs)
    return header + tables + data


def compile_po(po: Path) -> Path:
    """Write ``po``'s ``.mo`` beside it; returns its path."""
    mo = po.with_suffix(".mo")
    mo.write_bytes(mo_bytes(catalog(parse_po(po.read_text(encoding="utf-8"), str(po)))))
    return mo
