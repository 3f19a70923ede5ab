"""Snapshot deltas: what changed between two ``{"g": ..., "e": ...}`` snapshots.

A delta holds only the non-empty parts of::

    {"g": {changed globals}, "e": {entity id: {changed fields}}, "r": [removed ids],
     "G": {all globals}, "f": {entity id: {all fields}}}

A new entity appears in ``"e"`` with all its fields. ``"G"`` and ``"f"`` replace the
globals or an entity whole, and are used only when a key disappeared. Applying a delta
to the snapshot it was taken against gives the newer snapshot exactly.

Snapshots are read, never changed: a game may hand out the same entry object in snapshot
after snapshot (the arena's bullets), and `diff` skips such an entry without comparing it.
"""

from __future__ import annotations

from typing import Any


def _changed(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in new.items() if key not in old or old[key] != value}


def diff(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """The delta that turns snapshot ``old`` into snapshot ``new``."""
    out: dict[str, Any] = {}
    old_g, new_g = old.get("g", {}), new.get("g", {})
    if not old_g.keys() <= new_g.keys():
        out["G"] = new_g
    elif changed := _changed(old_g, new_g):
        out["g"] = changed
    old_e, new_e = old.get("e", {}), new.get("e", {})
    entities: dict[str, Any] = {}
    replaced: dict[str, Any] = {}
    kept = 0  # entities of ``old`` still in ``new``: when all are, none was removed
    # Run for every lobby every tick: the comparison is written out here (no call, no
    # comprehension frame per entity), and the key sets are compared only when a key was
    # added or the sizes differ (otherwise they are the same).
    for eid, fields in new_e.items():
        previous = old_e.get(eid)
        if previous is None:
            entities[eid] = fields
            continue
        kept += 1
        if previous is fields:
            continue  # the same entry object (a game may reuse one that never changes)
        changed = {}
        grew = False
        for key, value in fields.items():
            if key in previous:
                if previous[key] != value:
                    changed[key] = value
            else:
                changed[key] = value
                grew = True
        if (grew or len(previous) != len(fields)) and not previous.keys() <= fields.keys():
            replaced[eid] = fields
        elif changed:
            entities[eid] = changed
    if entities:
        out["e"] = entities
    if replaced:
        out["f"] = replaced
    if kept < len(old_e):
        out["r"] = [eid for eid in old_e if eid not in new_e]
    return out


def apply(snapshot: dict[str, Any], delta: dict[str, Any]) -> dict[str, Any]:
    """Return a new snapshot: ``snapshot`` with ``delta`` applied (inputs are not changed)."""
    entities = {eid: dict(fields) for eid, fields in snapshot.get("e", {}).items()}
    for eid in delta.get("r", []):
        entities.pop(eid, None)
    for eid, fields in delta.get("f", {}).items():
        entities[eid] = dict(fields)
    for eid, fields in delta.get("e", {}).items():
        entities.setdefault(eid, {}).update(fields)
    globals_ = dict(delta["G"]) if "G" in delta else {**snapshot.get("g", {}), **delta.get("g", {})}
    return {"g": globals_, "e": entities}
