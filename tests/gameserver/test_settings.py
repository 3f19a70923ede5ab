"""The environment picks the embedded defaults or Redis/PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def settings_with(env: dict[str, str], expr: str) -> str:
    full = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "DEBUG"}}
    full.update(env)
    code = f"import gameserver.settings as s; print({expr})"
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=full, capture_output=True,
                          text=True, check=True).stdout.strip()


def test_embedded_defaults_when_nothing_is_set():
    assert settings_with({"DEBUG": "1"}, "s.DATABASES['default']['ENGINE']") == "django.db.backends.sqlite3"
    assert settings_with({"DEBUG": "1"}, "s.CHANNEL_LAYERS['default']['BACKEND']").endswith("InMemoryChannelLayer")
    assert settings_with({"DEBUG": "1"}, "s.GAME_RUNTIME") == "game.runtime.LocalRuntime"


def test_urls_select_redis_and_postgresql():
    env = {"DEBUG": "1", "REDIS_URL": "redis://127.0.0.1:6379/3",
           "DATABASE_URL": "postgres://u:p%40ss@db.internal:6543/games"}
    assert settings_with(env, "s.CHANNEL_LAYERS['default']['BACKEND']") == \
        "channels_redis.pubsub.RedisPubSubChannelLayer"
    assert settings_with({**env, "GAME_CHANNEL_LAYER": "core"},
                         "s.CHANNEL_LAYERS['default']['BACKEND']") == "channels_redis.core.RedisChannelLayer"
    assert settings_with(env, "s.GAME_CLUSTER['ENABLED']") == "True"
    assert settings_with({**env, "GAME_CLUSTER": "0"}, "s.GAME_CLUSTER['ENABLED']") == "False"
    assert settings_with(env, "s.GAME_RUNTIME") == "game.cluster.runtime.ClusterRuntime"
    assert settings_with({**env, "GAME_CLUSTER": "0"}, "s.GAME_RUNTIME") == "game.runtime.LocalRuntime"
    db = settings_with(env, "[s.DATABASES['default'][k] for k in ('ENGINE','NAME','USER','PASSWORD','HOST','PORT')]")
    assert db == "['django.db.backends.postgresql', 'games', 'u', 'p@ss', 'db.internal', '6543']"


def test_production_requires_a_secret_key():
    full = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY"}}
    result = subprocess.run([sys.executable, "-c", "import gameserver.settings"], cwd=ROOT, env=full,
                            capture_output=True, text=True)
    assert result.returncode != 0 and "SECRET_KEY" in result.stderr


def test_check_deploy_is_clean_with_production_settings():
    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "DATABASE_URL", "REDIS_URL"}}
    env.update({"SECRET_KEY": "x" * 60 + "Yz9!", "ALLOWED_HOSTS": "games.example.com",
                "DJANGO_SETTINGS_MODULE": "gameserver.settings"})
    result = subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
                            cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="REDIS_URL is not set: no Redis to talk to")
@pytest.mark.parametrize("kind", ["pubsub", "core"])
def test_the_configured_redis_layer_carries_group_messages(kind):
    code = """
import asyncio, django
django.setup()
from channels.layers import get_channel_layer
async def main():
    layer = get_channel_layer()
    ch = await layer.new_channel()
    await layer.group_add("lobby.SETTST", ch)
    await layer.group_send("lobby.SETTST", {"type": "lobby.event", "data": b"\\x01\\x02"})
    msg = await asyncio.wait_for(layer.receive(ch), 5)
    await layer.group_discard("lobby.SETTST", ch)
    print(msg["data"] == b"\\x01\\x02")
asyncio.run(main())
"""
    env = {**os.environ, "DEBUG": "1", "DJANGO_SETTINGS_MODULE": "gameserver.settings", "GAME_CHANNEL_LAYER": kind}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)
    assert out.stdout.strip() == "True", out.stderr


def frozen_after_loading_the_app(env: dict[str, str]) -> tuple[int, bool]:
    full = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "DEBUG"}}
    full.update(env)
    code = ("import gc, sys, gameserver.asgi; "
            "print(gc.get_freeze_count(), 'game.views' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=full, capture_output=True,
                         text=True, check=True).stdout.split()
    return int(out[0]), out[1] == "True"


def test_the_application_freezes_what_start_up_loaded():
    count, views_loaded = frozen_after_loading_the_app({"DEBUG": "1"})
    assert count > 20_000 and views_loaded  # Django, the apps and the views, out of the collector's scans
    assert frozen_after_loading_the_app({"DEBUG": "1", "GAME_GC_FREEZE": "0"})[0] == 0
