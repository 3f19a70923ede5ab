"""Shared settings. Tests never sleep on guesses: engine tests step a FakeClock."""

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
