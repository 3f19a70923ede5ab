"""Shared fixtures. Tests never sleep on guesses: engine tests step a FakeClock."""
