"""Settings for the test suite: the real settings, with test-friendly defaults.

The suite runs on PostgreSQL when DATABASE_URL is set (as in CI) and on SQLite otherwise.
The in-process channel layer is used for consumer tests whatever REDIS_URL says; the
scale-out tests build their Redis layers explicitly from REDIS_URL.
"""

import os

os.environ.setdefault("DEBUG", "1")

from gameserver.settings import *  # noqa: F403

CHANNEL_LAYERS = {
    "default": {"BACKEND": "game.layers.SweptInMemoryChannelLayer", "CONFIG": {"capacity": 1000}},
}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
GAME = {**GAME, "COUNTDOWN_S": 0.2, "HANDLE_SIGTERM": False}  # noqa: F405
GAME_CLUSTER = {**GAME_CLUSTER, "ENABLED": False}  # noqa: F405  (tests/cluster runs real processes)
GAME_RUNTIME = "game.runtime.LocalRuntime"
