"""What the templates say to people, read with Django's own template lexer: the text left
outside {% translate %} / {% blocktranslate %} (tests/i18n/test_i18n_server.py wants none), and the
msgids the translate tags make (each must be in every language's catalog).

Text is what stands between tags and the values of the attributes people read (title,
placeholder, aria-label, alt, label); scripts, styles and comments are not text. A piece of
text counts when it holds a word (two letters in a row): "–:––", "0.25×", "#" and "p50" do not.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from django.template.base import Lexer, TokenType
from django.utils.translation import trim_whitespace

HOLE = "\0"  # where a variable or a tag stood: it splits text, it is no word
READ_ATTRIBUTES = re.compile(r"""\b(title|placeholder|aria-label|alt|label)\s*=\s*("([^"]*)"|'([^']*)')""")
WORD = re.compile(r"[^\W\d_]{2,}")
#: Text that is no word for people, though it has letters: {text: why}.
NOT_WORDS = {"K7QX2M": "an example lobby code (the join field's placeholder)"}
#: Blocks that fill base.html's attributes with codes (<body data-page="...">), not text.
CODE_BLOCKS = {"page", "body_attrs"}


@dataclass(frozen=True)
class Msgid:
    text: str
    context: str | None = None
    plural: str | None = None


def _skeleton(text: str) -> str:
    """The template's text with every variable, tag and translated block as a HOLE."""
    out, blocks, named = [], 0, []
    for token in Lexer(text).tokenize():
        if token.token_type == TokenType.BLOCK:
            words = token.contents.split() or [""]
            blocks += words[0] in ("blocktranslate", "blocktrans", "comment")
            blocks -= words[0] in ("endblocktranslate", "endblocktrans", "endcomment")
            if words[0] == "block":
                named.append(words[1])
            elif words[0] == "endblock" and named:
                named.pop()
            out.append(HOLE)
        elif token.token_type == TokenType.TEXT and not blocks and not CODE_BLOCKS.intersection(named):
            out.append(token.contents)
        else:
            out.append(HOLE)
    return "".join(out)


def untranslated(text: str) -> list[str]:
    """The pieces of a template's text that people read and no translate tag holds."""
    html = re.sub(r"(?is)<(script|style)\b.*?</\1\s*>|<!--.*?-->", HOLE, _skeleton(text))
    found = []
    for tag in re.findall(r"<[^>]*>", html):
        found += [m.group(3) if m.group(3) is not None else m.group(4) for m in READ_ATTRIBUTES.finditer(tag)]
    found += re.split(r"<[^>]*>", html)
    pieces = [piece.strip() for chunk in found for piece in re.sub(r"&\w+;|&#\d+;", " ", chunk).split(HOLE)]
    return [p for p in pieces if WORD.search(p) and p not in NOT_WORDS]


def _literal(bit: str) -> str:
    return bit[1:-1] if len(bit) > 1 and bit[0] == bit[-1] and bit[0] in "'\"" else bit


def _option(bits: list[str], name: str) -> str | None:
    return _literal(bits[bits.index(name) + 1]) if name in bits[:-1] else None


def msgids(text: str) -> list[Msgid]:
    """The msgids of a template's translate and blocktranslate tags, as makemessages writes them."""
    found: list[Msgid] = []
    block: dict | None = None
    for token in Lexer(text).tokenize():
        bits = token.split_contents() if token.token_type == TokenType.BLOCK else []
        word = bits[0] if bits else ""
        if word in ("translate", "trans") and block is None:
            found.append(Msgid(_literal(bits[1]), _option(bits, "context")))
        elif word in ("blocktranslate", "blocktrans"):
            block = {"parts": [[]], "trimmed": "trimmed" in bits, "context": _option(bits, "context")}
        elif word in ("endblocktranslate", "endblocktrans") and block is not None:
            found.append(_block_msgid(block))
            block = None
        elif word == "plural" and block is not None:
            block["parts"].append([])
        elif block is not None and token.token_type == TokenType.TEXT:
            block["parts"][-1].append(token.contents.replace("%", "%%"))
        elif block is not None and token.token_type == TokenType.VAR:
            block["parts"][-1].append(f"%({token.contents})s")
    return found


def _block_msgid(block: dict) -> Msgid:
    texts = ["".join(part) for part in block["parts"]]
    if block["trimmed"]:
        texts = [trim_whitespace(t) for t in texts]
    return Msgid(texts[0], block["context"], texts[1] if len(texts) > 1 else None)


def templates(root: Path) -> list[Path]:
    return sorted((root / "frontend" / "templates").rglob("*.html"))
