"""What the browser modules say to people outside the catalog (tests/i18n/test_i18n_catalog.py).

A small JavaScript tokenizer (strings, template literals and their ${...}, comments, regular
expressions) finds every string literal of frontend/src; one is *text* when it holds a word
(two letters in a row) and is not a catalog key ('chat.left', `phase.${p}`). Text is refused:

- anywhere, when it reads as prose (two words with a space between), or is one capitalised
  word ('Join', 'Draw');
- at a sink people read, whatever its shape: the value of textContent, title, placeholder,
  label, text, sub, help, message or headline (in an object or by assignment, through ?:, ??
  and ||), the first argument of notify(), system(), Error(), the label of icon(), and the
  value of setAttribute('aria-label' | 'title' | 'placeholder' | 'alt', ...).

Not looked at: the catalogs themselves (locale/*.js, a game's MESSAGES) and the protocol's
tables of the server's own words (protocol.js ERRORS, CLOSE_CODES: protocol text, checked
against game/protocol.py). Text for developers that people never read is allowed by
ALLOWED, each with why.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

PUNCT = re.compile(r"===|!==|\?\?=|\?\?|\?\.|=>|\.\.\.|&&|\|\||[=!<>]=|\+\+|--|[{}()\[\];,.:?=+\-*/%<>!&|^~@#]")
IDENT = re.compile(r"[A-Za-z_$][\w$]*")
NUMBER = re.compile(r"\d[\w.]*")
REGEX_AFTER = set("(,=:[!&|?{};+-*%<>~^") | {"return", "typeof", "=>", "&&", "||", "??", "===", "!=="}
HOLE = "\0"

WORD = re.compile(r"[A-Za-z]{2}")
PROSE = re.compile(r"[A-Za-z]{2,}[^\0]*?\s+[^\0]*?[A-Za-z]{2,}")
CAPITALISED = re.compile(r"^[A-Z][a-z]+[.!?…:]*$")
KEY = re.compile(r"^[a-z0-9_]+(\.[a-z0-9_]+)+$")

SINK_PROPERTIES = {"textContent", "innerText", "title", "placeholder", "label", "text", "sub", "help", "message",
                   "headline", "alt"}
SINK_CALLS = {"notify": {0}, "system": {0}, "Error": {0}, "ApiError": {0}, "alert": {0}, "confirm": {0}, "icon": {1}}
READ_ATTRIBUTES = {"aria-label", "title", "placeholder", "alt"}
DEVELOPER_CALLS = {"ProtocolError", "RangeError", "TypeError", "warn", "log", "debug", "error"}
#: Properties and calls whose strings are code: class names, styles, cookies, selectors, queries.
CODE_OWNERS = {"className", "style", "cookie", "setAttribute", "setProperty", "matchMedia", "matches", "closest",
               "querySelector", "querySelectorAll", "add", "remove", "toggle", "contains"}
#: Tables of words that are no text for this check: file -> names of the consts they are in.
TABLES = {"frontend/src/protocol.js": {"ERRORS", "CLOSE_CODES"}, "frontend/src/games/*.js": {"MESSAGES"},
          "frontend/src/ui/icons.js": {"ICON_PATHS"}}  # icons.js: SVG path data
CATALOG_FILES = ("frontend/src/locale/*.js",)

#: (file glob, a fragment of the literal) -> why it is no text for people.
ALLOWED = {
    ("frontend/src/registry.js", "should export default a spec named"): "a developer's error: a broken game module",
    ("frontend/src/registry.js", "the spec has no"): "a developer's error: a broken game module",
    ("frontend/src/input.js", "Space"): "a key code (KeyboardEvent.code)",
    ("frontend/src/pages/replay.js", "Enter"): "a key name (KeyboardEvent.key)",
    ("frontend/src/i18n.js", "English"): "a language's own name (LANGUAGE_NAMES)",
    ("frontend/src/i18n.js", "i18n: no text for"): "a developer's warning: a key missing from the catalog",
    ("frontend/src/render/*.js", "sans-serif"): "a CSS font list for the canvas",
    ("frontend/src/ui/dom.js", "a[href], button"): "a CSS selector (the focusable controls)",
}


@dataclass(frozen=True)
class Token:
    kind: str  # str, tpl, id, punct, num
    value: str
    at: int


def tokenize(src: str) -> list[Token]:
    tokens: list[Token] = []
    _scan(src, 0, tokens, stop_at_brace=False)
    return tokens


def _scan(src: str, i: int, out: list[Token], *, stop_at_brace: bool) -> int:
    depth = 0
    while i < len(src):
        c = src[i]
        if c.isspace():
            i += 1
        elif src.startswith("//", i):
            i = src.find("\n", i) % (len(src) + 1) if "\n" in src[i:] else len(src)
        elif src.startswith("/*", i):
            i = src.index("*/", i) + 2
        elif c in "'\"":
            end, value = _string(src, i)
            out.append(Token("str", value, i))
            i = end
        elif c == "`":
            i = _template(src, i, out)
        elif c == "/" and (not out or out[-1].value in REGEX_AFTER):
            i = _regex(src, i)
        elif stop_at_brace and c == "}" and depth == 0:
            return i + 1
        elif m := IDENT.match(src, i):
            out.append(Token("id", m.group(), i))
            i = m.end()
        elif m := NUMBER.match(src, i):
            out.append(Token("num", m.group(), i))
            i = m.end()
        else:
            m = PUNCT.match(src, i)
            value = m.group() if m else c
            depth += (value == "{") - (value == "}")
            out.append(Token("punct", value, i))
            i += len(value)
    return i


def _string(src: str, i: int) -> tuple[int, str]:
    quote, j, chars = src[i], i + 1, []
    while src[j] != quote:
        if src[j] == "\\":
            chars.append(src[j + 1])
            j += 2
        else:
            chars.append(src[j])
            j += 1
    return j + 1, "".join(chars)


def _template(src: str, i: int, out: list[Token]) -> int:
    start, j, chars, inner = i, i + 1, [], []
    while src[j] != "`":
        if src[j] == "\\":
            chars.append(src[j + 1])
            j += 2
        elif src.startswith("${", j):
            chars.append(HOLE)
            j = _scan(src, j + 2, inner, stop_at_brace=True)
        else:
            chars.append(src[j])
            j += 1
    out.append(Token("tpl", "".join(chars), start))
    out.extend(inner)
    return j + 1


def _regex(src: str, i: int) -> int:
    j, in_class = i + 1, False
    while src[j] != "/" or in_class:
        if src[j] == "\\":
            j += 1
        elif src[j] in "[]":
            in_class = src[j] == "["
        j += 1
    j += 1
    while j < len(src) and src[j].isalpha():
        j += 1
    return j


def _table_spans(tokens: list[Token], names: set[str]) -> list[tuple[int, int]]:
    """Source spans of `const NAME = ...{...}` for NAME in ``names`` (their braces balanced)."""
    spans = []
    for k, token in enumerate(tokens):
        if token.kind == "id" and token.value in names and k and tokens[k - 1].value == "const":
            opening = next(n for n in range(k, len(tokens)) if tokens[n].value == "{")
            depth = 0
            for n in range(opening, len(tokens)):
                depth += (tokens[n].value == "{") - (tokens[n].value == "}")
                if depth == 0:
                    spans.append((token.at, tokens[n].at))
                    break
    return spans


def _object_key(tokens: list[Token], colon: int) -> bool:
    """Whether the ':' at ``colon`` follows an object's key (not a ?: branch)."""
    return colon >= 2 and tokens[colon - 1].kind in ("id", "str") and tokens[colon - 2].value in ("{", ",")


def owner(tokens: list[Token], k: int) -> tuple[str, str] | None:
    """What literal ``k`` is the value of: ('property', name) in an object or a member assignment,
    ('call', callee) when it is a sink's or a code call's argument, or None."""
    depth, argument = 0, 0
    for n in range(k - 1, -1, -1):
        value = tokens[n].value if tokens[n].kind == "punct" else None
        if value in (")", "]", "}"):
            depth += 1
        elif value in ("(", "[", "{") and depth:
            depth -= 1
        elif depth:
            continue
        elif value == "(":
            return _call(tokens, n, argument)
        elif value in ("[", "{", ";"):
            return None
        elif value == ",":
            argument += 1
        elif value == ":" and _object_key(tokens, n):
            return ("property", tokens[n - 1].value) if argument == 0 else None
        elif value == "=":
            member = n >= 2 and tokens[n - 2].value in (".", "?.")
            return ("property", tokens[n - 1].value) if member and argument == 0 else None
    return None


def _call(tokens: list[Token], opening: int, argument: int) -> tuple[str, str] | None:
    before = opening - 1 - (opening > 1 and tokens[opening - 1].value == "?.")  # f?.(...)
    callee = tokens[before].value if opening else ""
    if callee == "setAttribute":
        read = tokens[opening + 1].kind == "str" and tokens[opening + 1].value in READ_ATTRIBUTES
        return ("call", "notify" if read and argument == 1 else "setAttribute")
    if argument in SINK_CALLS.get(callee, set()):
        return ("call", "notify")
    return ("call", callee)


def at_sink(tokens: list[Token], k: int) -> bool:
    found = owner(tokens, k)
    return found == ("call", "notify") or (found is not None and found[0] == "property" and found[1] in SINK_PROPERTIES)


def code_value(tokens: list[Token], k: int) -> bool:
    """Literal ``k`` is compared, or is a class name, a style, a selector, a media query."""
    compared = {"===", "!==", "==", "!="}
    if tokens[k - 1].value in compared or (k + 1 < len(tokens) and tokens[k + 1].value in compared):
        return True
    found = owner(tokens, k)
    return found is not None and found[1] in CODE_OWNERS


def developer_text(tokens: list[Token], k: int) -> bool:
    """Whether literal ``k`` is an argument of a call only developers read (console, errors of the code)."""
    depth = 0
    for n in range(k - 1, -1, -1):
        value = tokens[n].value if tokens[n].kind == "punct" else None
        if value in (")", "]", "}"):
            depth += 1
        elif value in ("(", "[", "{"):
            if depth:
                depth -= 1
            elif value == "(":
                return n > 0 and tokens[n - 1].value in DEVELOPER_CALLS
    return False


def is_text(value: str) -> bool:
    bare = value.replace(HOLE, "x")
    return bool(WORD.search(value)) and not KEY.match(bare)


def untranslated(path: str, src: str) -> list[str]:
    """The literals of module ``path`` (relative, '/'-separated) that people would read untranslated."""
    if any(Path(path).match(glob) for glob in CATALOG_FILES):
        return []
    tokens = tokenize(src)
    names = set().union(*(names for glob, names in TABLES.items() if Path(path).match(glob)))
    spans = _table_spans(tokens, names)
    found = []
    for k, token in enumerate(tokens):
        if token.kind not in ("str", "tpl") or not is_text(token.value) or any(a <= token.at <= b for a, b in spans):
            continue
        static = token.value.replace(HOLE, " ")
        flagged = PROSE.search(token.value) or CAPITALISED.match(static.strip()) or at_sink(tokens, k)
        if flagged and not code_value(tokens, k) and not developer_text(tokens, k) and not _allowed(path, token.value):
            found.append(static.strip())
    return found


def _allowed(path: str, value: str) -> bool:
    return any(Path(path).match(glob) and fragment in value for glob, fragment in ALLOWED)
