"""Shared settings. Tests never sleep on guesses: engine tests step a FakeClock."""

from hypothesis import HealthCheck, settings

# The first draw of a run can be slow on a cold, shared 2-core CI machine: that is not a bug.
settings.register_profile("default", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("default")
