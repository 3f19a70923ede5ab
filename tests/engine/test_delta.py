from hypothesis import given
from hypothesis import strategies as st

from game.engine.delta import apply, diff

values = st.one_of(st.integers(-1000, 1000), st.booleans(), st.text(max_size=3))
entities = st.dictionaries(st.sampled_from(["p1", "p2", "b1", "b2", "c1"]),
                           st.dictionaries(st.sampled_from(["x", "y", "hp", "a"]), values, max_size=4),
                           max_size=5)
snapshots = st.fixed_dictionaries({"g": st.dictionaries(st.sampled_from(["t", "s"]), values), "e": entities})


@given(snapshots, snapshots)
def test_applying_a_delta_gives_the_newer_snapshot(old, new):
    assert apply(old, diff(old, new)) == new


def test_delta_carries_only_changes():
    old = {"g": {"t": 10}, "e": {"p1": {"x": 1, "y": 2}, "b1": {"x": 0}}}
    new = {"g": {"t": 10}, "e": {"p1": {"x": 1, "y": 3}, "p2": {"x": 5}}}
    assert diff(old, new) == {"e": {"p1": {"y": 3}, "p2": {"x": 5}}, "r": ["b1"]}
    assert diff(new, new) == {}


def test_an_entry_handed_out_again_as_the_same_object_is_skipped():
    bullet = {"x": 1.0, "y": 2.0, "vx": 700, "vy": 0, "o": 1, "t": 3}
    old = {"g": {"n": 3}, "e": {"b1": bullet, "p1": {"x": 1}}}
    new = {"g": {"n": 4}, "e": {"b1": bullet, "p1": {"x": 2}}}
    assert diff(old, new) == {"g": {"n": 4}, "e": {"p1": {"x": 2}}}
    assert apply(old, diff(old, new)) == new


def _smallest_delta(old, new):
    """The delta spelled out plainly: what `diff` must give (it is written for speed)."""
    out = {}
    if not old["g"].keys() <= new["g"].keys():
        out["G"] = new["g"]
    elif changed := {k: v for k, v in new["g"].items() if k not in old["g"] or old["g"][k] != v}:
        out["g"] = changed
    entities, replaced = {}, {}
    for eid, fields in new["e"].items():
        previous = old["e"].get(eid)
        if previous is None:
            entities[eid] = fields
        elif not previous.keys() <= fields.keys():
            replaced[eid] = fields
        elif changed := {k: v for k, v in fields.items() if k not in previous or previous[k] != v}:
            entities[eid] = changed
    removed = [eid for eid in old["e"] if eid not in new["e"]]
    return {k: v for k, v in (("e", entities), ("f", replaced), ("r", removed)) if v} | out


@given(snapshots, snapshots)
def test_the_delta_is_the_smallest_one_in_the_documented_shape(old, new):
    assert diff(old, new) == _smallest_delta(old, new)
