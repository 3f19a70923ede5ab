"""The engine: lobbies, roles, lifecycle and the fixed-timestep tick loop.

Nothing here imports Django or Channels: infrastructure (the channel layer, the
database) reaches the engine only through the small `LoopHooks` interface, so the
engine runs unchanged under tests with a fake clock.
"""
