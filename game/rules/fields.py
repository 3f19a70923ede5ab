"""What hosts and players may send a game, and how it is cleaned: a game's settings
(`Setting`) and the fields of its input (`Axis`, `Number`, `Flag`).

Both are declared on the rules class (``settings_schema``, ``input_schema``; see
`game.rules.base`) and published by GET /api/games, so a client builds its forms and inputs
from them. The two differ on purpose: a setting out of range is refused (a host should know),
an input number out of range is clamped (a held key or a mouse at the edge is no mistake);
a value of the wrong type is refused in both.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

#: An input map holds a few fields; a few unknown ones are ignored, a heap is refused.
MAX_INPUT_KEYS = 16


class InvalidInput(ValueError):
    """Raised by `parse_input` or `clean_settings` when a payload is malformed or out of range."""


def finite(value: Any, *, lo: float, hi: float, name: str) -> float:
    """Return ``value`` as a float clamped to [lo, hi]; refuse non-numbers, NaN and inf."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidInput(f"{name} must be a number")
    try:
        f = float(value)
    except OverflowError:
        raise InvalidInput(f"{name} is out of range") from None
    if not math.isfinite(f):
        raise InvalidInput(f"{name} must be finite")
    return min(hi, max(lo, f))


# -- settings ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Setting:
    """One setting a host may change before a match: its default (whose type is the
    setting's: bool, int or float) and, for a number, the range it must lie in, both ends
    included. A value of another type or outside the range is refused, never clamped."""

    default: bool | int | float
    lo: int | float = 0
    hi: int | float = 0

    @property
    def kind(self) -> str:
        """``"bool"``, ``"int"`` or ``"float"``, as GET /api/games publishes it."""
        if isinstance(self.default, bool):
            return "bool"
        return "int" if isinstance(self.default, int) else "float"

    def clean(self, key: str, value: Any) -> bool | int | float:
        """``value`` if it is of this setting's type and in its range; else InvalidInput,
        naming the bound. An int setting takes integers only (2.0 and 2.5 are refused); a
        float one takes integers too. NaN and infinities fail the range."""
        kind = self.kind
        if kind == "bool":
            if not isinstance(value, bool):
                raise InvalidInput(f"{key} must be a boolean")
            return value
        number = int if kind == "int" else (int, float)
        if isinstance(value, bool) or not isinstance(value, number) or not self.lo <= value <= self.hi:
            what = "an integer" if kind == "int" else "a number"
            raise InvalidInput(f"{key} must be {what} in [{self.lo}, {self.hi}]")
        return value if kind == "int" else float(value)

    def describe(self) -> dict[str, Any]:
        """``{"type", "default"}``, and ``"min"`` / ``"max"`` for a number."""
        if self.kind == "bool":
            return {"type": "bool", "default": self.default}
        return {"type": self.kind, "default": self.default, "min": self.lo, "max": self.hi}


def setting_of_default(default: Any) -> Setting:
    """The setting of a game that declares only ``default_settings`` (the bounds settings
    were once clamped to)."""
    if isinstance(default, bool):
        return Setting(default)
    return Setting(default, 1, 3600) if isinstance(default, int) else Setting(float(default), 0.0, 1e6)


# -- input fields -----------------------------------------------------------------------
# Each field cleans the value a player sent under its key (`clean`), knows the value of a key
# left out (`missing`), and describes itself for GET /api/games (`describe`).


@dataclass(frozen=True)
class Axis:
    """A direction held on one axis (a key pair, a stick): a number clamped to [-1, 1];
    left out, 0."""

    def missing(self) -> float:
        return 0.0

    def clean(self, key: str, value: Any) -> float:
        return finite(value, lo=-1.0, hi=1.0, name=key)

    def describe(self) -> dict[str, Any]:
        return {"type": "axis", "min": -1, "max": 1, "default": 0}


@dataclass(frozen=True)
class Number:
    """A number clamped to [lo, hi] (a point in the world, an angle); left out, ``default``.
    A ``None`` default makes the field optional: a one-off input, as a click's point, is
    ``None`` in every input without it."""

    lo: float
    hi: float
    default: float | None = None

    def missing(self) -> float | None:
        return self.default

    def clean(self, key: str, value: Any) -> float:
        return finite(value, lo=self.lo, hi=self.hi, name=key)

    def describe(self) -> dict[str, Any]:
        return {"type": "number", "min": self.lo, "max": self.hi, "default": self.default}


@dataclass(frozen=True)
class Flag:
    """A button: exactly ``true`` or ``false`` (1 and "yes" are refused); left out, false."""

    def missing(self) -> bool:
        return False

    def clean(self, key: str, value: Any) -> bool:
        if value is not True and value is not False:
            raise InvalidInput(f"{key} must be a boolean")
        return value

    def describe(self) -> dict[str, Any]:
        return {"type": "flag", "default": False}


InputField = Axis | Number | Flag


def clean_input(game: str, schema: dict[str, InputField], payload: Any) -> dict[str, Any]:
    """``payload`` cleaned by ``schema``: a map with every field of the schema (a field left
    out has its `missing` value; an unknown key is ignored). InvalidInput for a non-map, a
    heap of keys, or a field sent with a value of the wrong type (``null`` included)."""
    if not isinstance(payload, dict):
        raise InvalidInput(f"a {game} input is a map {{{', '.join(schema)}}}")
    if len(payload) > MAX_INPUT_KEYS:
        raise InvalidInput(f"a {game} input has too many fields")
    return {key: field.clean(key, payload[key]) if key in payload else field.missing()
            for key, field in schema.items()}
