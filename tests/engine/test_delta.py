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
