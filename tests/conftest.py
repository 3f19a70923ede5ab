"""Shared settings. Tests never sleep on guesses: engine tests step a FakeClock."""

import re
from pathlib import Path

from django.db.backends.postgresql.operations import DatabaseOperations
from hypothesis import HealthCheck, settings

# The first draw of a run can be slow on a cold, shared 2-core CI machine: that is not a bug.
settings.register_profile("default", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("default")


def _flush_by_delete(self, style, tables, *, reset_sequences=False, allow_cascade=False):
    """Empty the tables after a transactional test with DELETE, not Django's TRUNCATE.

    TRUNCATE gives each table new files, which PostgreSQL makes and syncs: 1-2 s for the app's
    tables here after every one of the hundreds of tests that use committed data, where DELETE of
    the few rows a test wrote takes milliseconds. Django's foreign keys are deferred, so the order
    does not matter inside flush's transaction. A flush that resets sequences keeps TRUNCATE.
    """
    if reset_sequences or not tables:
        return _truncate(self, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade)
    return [f"{style.SQL_KEYWORD('DELETE FROM')} {style.SQL_FIELD(self.quote_name(table))};" for table in tables]


_truncate = DatabaseOperations.sql_flush
DatabaseOperations.sql_flush = _flush_by_delete



# `make test` runs the suite on pytest-xdist workers with --dist loadgroup: a test goes to
# whichever worker is free, except the tests of one group, which one worker runs one after
# another. The groups are set here, by path (xdist's own xdist_group mark is lost with this
# pytest's structured node ids, pytest-xdist issue 1386):
# - the browser tests are one group: one Chromium and one page-serving server at a time, whatever
#   the worker count (pages are driven on timers; two at once on a small machine starve each other);
# - a module that makes a module- or class-scoped fixture (a server, a project copy) is a group, so
#   the fixture is made once and not once per worker that gets one of its tests.
_SHARED_FIXTURE = re.compile(r"""@pytest\.fixture\([^)]*scope=["'](module|class|package)["']""")


def _module_shares_a_fixture(root: Path, module: str) -> bool:
    path = root / module
    return path.suffix == ".py" and bool(_SHARED_FIXTURE.search(path.read_text(encoding="utf-8")))


def xdist_group_of(root: Path, nodeid: str) -> str | None:
    """The group a test runs in (None: any worker, on its own)."""
    module = nodeid.split("::", 1)[0]
    if module.startswith("tests/browser/") or module == "tests/cluster/test_browser_cluster.py":
        return "browser"
    return module if _module_shares_a_fixture(root, module) else None


def pytest_xdist_make_scheduler(config, log):
    if config.getvalue("dist") != "loadgroup":
        return None
    from functools import cache

    from xdist.scheduler import LoadGroupScheduling

    group_of = cache(lambda nodeid: xdist_group_of(config.rootpath, nodeid))

    class PathGroups(LoadGroupScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return group_of(nodeid) or super()._split_scope(nodeid)

    return PathGroups(config, log)
