"""Settings for the game server.

Everything an operator changes comes from the environment; unset means the embedded
default (SQLite in WAL mode, the in-process channel layer, one daphne process):

- ``SECRET_KEY``: required when ``DEBUG`` is off.
- ``DEBUG``: ``1``/``true`` turns debug on (``make run`` sets it); off by default.
- ``ALLOWED_HOSTS``: comma-separated; also governs the websocket Origin check.
- ``REDIS_URL``: selects channels_redis (``redis://host:6379/0``).
- ``DATABASE_URL``: selects PostgreSQL through psycopg 3 (``postgres://user:pw@host:5432/db``).
- ``CSRF_TRUSTED_ORIGINS``: comma-separated origins, when served behind a proxy.
- ``SQLITE_PATH``: where the embedded database lives (default ``db.sqlite3``).
- ``GAME_TRUSTED_PROXIES``: comma-separated addresses/CIDRs of the reverse proxies whose
  X-Forwarded-For says who the client is (unset: the peer's address, no header is read).
"""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlparse

from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name, "")
    items = [item.strip() for item in value.split(",") if item.strip()]
    return items or default


def trusted_proxies(name: str) -> list[str]:
    """Addresses and CIDRs (comma-separated) of the proxies allowed to say who the client is."""
    items = env_list(name, [])
    for item in items:
        try:
            ipaddress.ip_network(item, strict=False)
        except ValueError:
            raise ImproperlyConfigured(f"{name}: {item!r} is not an address or a CIDR") from None
    return items


DEBUG = env_bool("DEBUG")
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("Set SECRET_KEY (or DEBUG=1 for local development).")
    SECRET_KEY = "insecure-dev-key-only-for-debug-never-in-production-0123456789"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

# No "daphne" app: it only makes `manage.py runserver` serve ASGI, and importing it loads Twisted,
# autobahn and OpenSSL (about 24 MB of RSS) into every process, uvicorn's too. `make run` starts
# daphne itself (gameserver/rundaphne.py); a local ASGI server is `make run` or `make run-uvicorn`.
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "game",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The page's language: the language cookie (the switcher sets it), else Accept-Language.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "gameserver.urls"
ASGI_APPLICATION = "gameserver.asgi.application"
WSGI_APPLICATION = None

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "frontend" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]


def database_from_url(url: str) -> dict:
    """Translate ``postgres://user:pw@host:port/name?opt=v`` into a DATABASES entry."""
    parts = urlparse(url)
    if parts.scheme not in {"postgres", "postgresql", "pgsql"}:
        raise ImproperlyConfigured(f"DATABASE_URL scheme {parts.scheme!r} is not supported")
    options: dict = dict(parse_qsl(parts.query))
    pool = options.pop("pool", "1") not in {"0", "false"}
    if pool:
        options["pool"] = {"min_size": 1, "max_size": 8, "timeout": 10}
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": unquote(parts.path.lstrip("/")) or "postgres",
        "USER": unquote(parts.username or ""),
        "PASSWORD": unquote(parts.password or ""),
        "HOST": parts.hostname or "",
        "PORT": str(parts.port or ""),
        "OPTIONS": options,
        "CONN_MAX_AGE": 0,
        "TEST": {"NAME": os.environ.get("DATABASE_TEST_NAME") or None},
    }


DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {"default": database_from_url(DATABASE_URL)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("SQLITE_PATH") or BASE_DIR / "db.sqlite3",
            "OPTIONS": {
                # WAL lets readers run beside the one writer; IMMEDIATE + timeout make
                # concurrent writers wait instead of failing with "database is locked".
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
        }
    }

# A bearer token that lets a Prometheus scraper read /metrics (staff sessions always may).
METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")

REDIS_URL = os.environ.get("REDIS_URL", "")
# Several Redis hosts (comma-separated URLs) shard the channel layer's channels and groups;
# leases and the lobby directory live on the first. Or Redis Sentinel: REDIS_SENTINELS
# ("host:port,host:port") and REDIS_SENTINEL_MASTER name the master to use (docs/deploy.md).
REDIS_SENTINELS = [(h.rsplit(":", 1)[0], int(h.rsplit(":", 1)[1]))
                   for h in os.environ.get("REDIS_SENTINELS", "").split(",") if h.strip()]
REDIS_SENTINEL_MASTER = os.environ.get("REDIS_SENTINEL_MASTER", "mymaster")
if REDIS_SENTINELS and not REDIS_URL:
    REDIS_URL = f"sentinel://{REDIS_SENTINEL_MASTER}"  # a marker: the layer and the cluster use Sentinel
_REDIS_HOSTS = (
    [{"sentinels": REDIS_SENTINELS, "master_name": REDIS_SENTINEL_MASTER, "socket_timeout": None}]
    if REDIS_SENTINELS else
    [{"address": url.strip(), "socket_timeout": None, "max_connections": 1000}
     for url in REDIS_URL.split(",") if url.strip()])
# With REDIS_URL: the pub/sub layer by default. For the frequent group broadcast of a game it
# delivered every frame at 8-26 ms p99 where the core layer fell behind by seconds at 150
# lobbies (docs/deploy.md, `python -m game.cluster.layerbench`). GAME_CHANNEL_LAYER=core
# selects the core layer (capacity limits and message expiry, at that cost).
CHANNEL_LAYER_KIND = os.environ.get("GAME_CHANNEL_LAYER", "pubsub")
if REDIS_URL and CHANNEL_LAYER_KIND == "core":
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                # Explicit timeouts and pool size: redis-py's defaults trip the layer's
                # blocking reads (docs/performance.md).
                "hosts": _REDIS_HOSTS,
                "capacity": 1000,
                "expiry": 30,
                "group_expiry": 86400,
            },
        }
    }
elif REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": _REDIS_HOSTS},
        }
    }
else:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "game.layers.SweptInMemoryChannelLayer",
            "CONFIG": {"capacity": 1000, "expiry": 30},
        }
    }

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# The languages of the pages and the browser modules (docs/i18n.md): templates through
# Django's gettext (game/locale/<lang>/LC_MESSAGES/django.po, compiled to the committed .mo by
# `manage.py compilepo`), the browser through its catalog (frontend/src/i18n.js). The language
# cookie is readable by the page's scripts, which set it too when the person picks a language.
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("hi", "हिन्दी")]
LOCALE_PATHS = [BASE_DIR / "game" / "locale"]
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
LANGUAGE_COOKIE_SAMESITE = "Lax"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static", ("frontend", BASE_DIR / "frontend" / "src")]
STATIC_ROOT = BASE_DIR / "staticfiles"
SERVE_STATIC = env_bool("SERVE_STATIC", True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"

# Production-safe defaults when DEBUG is off; a TLS-terminating proxy is assumed.
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_CONTENT_TYPE_NOSNIFF = True
    SECURE_REFERRER_POLICY = "same-origin"
    X_FRAME_OPTIONS = "DENY"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "loggers": {
        # Not propagated: daphne configures the root logger too, which printed each line twice.
        "game": {"handlers": ["console"], "level": os.environ.get("GAME_LOG_LEVEL", "INFO"), "propagate": False},
    },
}

# Game server limits and timings; docs/protocol.md and docs/security.md document each one.
# (A client frame's size limit is the protocol's own constant, game.protocol.MAX_FRAME_BYTES.)
GAME = {
    "COMMAND_QUEUE_PER_LOBBY": 256,
    "COUNTDOWN_S": float(os.environ.get("GAME_COUNTDOWN_S", "3")),
    "KEYFRAME_INTERVAL_S": 1.0,
    "OUTBOX_MAX_EVENTS": 256,
    "ERROR_BUDGET": 20,
    "ERROR_WINDOW_S": 10.0,
    "MAX_LOBBIES": 1000,
    "EMPTY_LOBBY_TTL_S": 60.0,
    # Rate limits: kind -> (messages per second, burst). Inputs: at least 2x the tick rate.
    "RATE_LIMITS": {"input": (40.0, 40.0), "ping": (5.0, 10.0), "chat": (2.0, 5.0), "command": (5.0, 10.0)},
    "MAX_CONNECTIONS_PER_ADDRESS": int(os.environ.get("GAME_MAX_CONNECTIONS_PER_ADDRESS", "64")),
    "MAX_LOBBIES_PER_CLIENT": int(os.environ.get("GAME_MAX_LOBBIES_PER_CLIENT", "5")),
    # Open lobbies per client address (both this and the limit per identity apply).
    "MAX_LOBBIES_PER_ADDRESS": int(os.environ.get("GAME_MAX_LOBBIES_PER_ADDRESS", "5")),
    # Where a client's address comes from (game.limits.client_address): the peer's address,
    # unless the peer is one of these proxies (addresses or CIDRs, comma-separated): then the
    # right-most X-Forwarded-For entry that is not one of them. Empty: no header is ever read.
    "TRUSTED_PROXIES": trusted_proxies("GAME_TRUSTED_PROXIES"),
    # Limits per address count an IPv6 client by this long a prefix (one host holds a /64).
    "IPV6_PREFIX_BITS": int(os.environ.get("GAME_IPV6_PREFIX_BITS", "64")),
    "RECONNECT_GRACE_S": float(os.environ.get("GAME_RECONNECT_GRACE_S", "20")),
    # GET /api/lobbies answers from a snapshot each process rebuilds at most this often
    # (game.lobbylist; in a cluster, one shared snapshot: game.cluster.lobbylist).
    "LOBBY_LIST_REFRESH_S": float(os.environ.get("GAME_LOBBY_LIST_REFRESH_S", "2")),
    # SIGTERM: stop taking lobbies, let running matches end for at most this long, then hand
    # the lobbies over (cluster) or close them (one process), flush results and exit.
    "DRAIN_S": float(os.environ.get("GAME_DRAIN_S", "30")),
    "HANDLE_SIGTERM": True,
    # Freeze what start-up loaded (gameserver/asgi.py): full collections then skip it.
    "GC_FREEZE": os.environ.get("GAME_GC_FREEZE", "1") != "0",
}

# Scale-out (docs/deploy.md): with REDIS_URL set, processes share lobbies through Redis.
GAME_CLUSTER = {
    "ENABLED": bool(REDIS_URL) and os.environ.get("GAME_CLUSTER", "1") != "0",
    "REDIS_URL": REDIS_URL.split(",")[0].strip(),
    "SENTINELS": REDIS_SENTINELS,
    "SENTINEL_MASTER": REDIS_SENTINEL_MASTER,
    "PREFIX": os.environ.get("GAME_CLUSTER_PREFIX", "gs:"),
    # GAME_REDIS_SHARDS: comma-separated Redis URLs (or sentinel:<master> with REDIS_SENTINELS)
    # over which the buckets are spread, bucket b on the (b % n)th; the first also holds the keys
    # that are not per lobby. Empty: REDIS_URL's first host alone (docs/scale.md). The channel
    # layer keeps its own hosts (REDIS_URL).
    "SHARDS": [u.strip() for u in os.environ.get("GAME_REDIS_SHARDS", "").split(",") if u.strip()],
    # Per-lobby keys carry one of this many buckets as a Redis Cluster hash tag
    # (game.cluster.keys); the same in every process of a deployment.
    "BUCKETS": int(os.environ.get("GAME_CLUSTER_BUCKETS", "256")),
    # This process's name for the proxy in front (docs/scale.md, "Routing"): lobby creation and
    # lookup name the owner's route, and the browser's socket URL carries it (?route=), so the
    # proxy sends each lobby's sockets to its owner. Empty: no routing.
    "ROUTE": os.environ.get("GAME_ROUTE", ""),
    # Another process may take a lobby over once its lease has expired. An owner whose renewals
    # go unanswered for 80% of this plays on in doubt until Redis answers (game.cluster.ownership).
    "LEASE_TTL_S": float(os.environ.get("GAME_LEASE_TTL_S", "3")),
    # How long the directory keeps a lobby whose owner vanished and that nobody took over.
    "DIRECTORY_TTL_S": 120.0,
    # How often the reaper looks for lobbies gone for good (game.cluster.reaper).
    "REAP_S": float(os.environ.get("GAME_REAP_S", "10")),
    # Match continuity (docs/deploy.md): each running match's inputs are logged in Redis before
    # they are acknowledged, and a lobby's next owner goes on with its match. 0 turns it off:
    # a match then dies with its owner (recorded as aborted).
    "CONTINUITY": os.environ.get("GAME_CONTINUITY", "1") != "0",
    # Limits shared through Redis (game.cluster.limits): sockets per address, lobbies per
    # client. After a Redis failure each process counts alone for LIMITS_RETRY_S before it asks
    # again; Redis calls for a lobby creation give up after LIMITS_TIMEOUT_S; every process
    # rewrites its socket counts each LIMITS_RESYNC_S (they expire after three times that).
    "LIMITS_RETRY_S": float(os.environ.get("GAME_LIMITS_RETRY_S", "5")),
    "LIMITS_TIMEOUT_S": 0.5,
    "LIMITS_RESYNC_S": 60.0,
    # A lobby creation let through holds its place this long before the lobby exists.
    "LOBBY_RESERVE_S": 10.0,
    # How long a client's record of open lobbies lives after its last creation.
    "LOBBY_COUNT_TTL_S": 86400.0,
}

# The process's runtime (game.runtime.get_runtime), chosen here once as CHANNEL_LAYERS is: every
# lobby in this process, or lobbies shared with the other processes through Redis.
GAME_RUNTIME = "game.cluster.runtime.ClusterRuntime" if GAME_CLUSTER["ENABLED"] else "game.runtime.LocalRuntime"
