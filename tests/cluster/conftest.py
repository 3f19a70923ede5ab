"""Scale-out tests: real daphne processes on real Redis and PostgreSQL (docs/deploy.md).

They need REDIS_URL and DATABASE_URL (`.ci/run` sets both) and skip, saying so, without them.
"""

from __future__ import annotations

import os

import pytest

from .harness import Cluster, cluster_database, drop_database

REDIS_URL = os.environ.get("REDIS_URL")
DATABASE_URL = os.environ.get("DATABASE_URL")

pytestmark = pytest.mark.server


def pytest_collection_modifyitems(config, items):
    reason = [name for name, value in (("REDIS_URL", REDIS_URL), ("DATABASE_URL", DATABASE_URL)) if not value]
    if reason:
        skip = pytest.mark.skip(reason=f"scale-out tests need {' and '.join(reason)} "
                                       "(real Redis and PostgreSQL; .ci/run sets both)")
        for item in items:
            if "tests/cluster/" in str(item.fspath):
                item.add_marker(skip)


@pytest.fixture(scope="session")
def cluster_db():
    url = cluster_database(DATABASE_URL)
    yield url
    drop_database(url)


@pytest.fixture
def cluster(tmp_path, cluster_db):
    made = Cluster(tmp_path, cluster_db, REDIS_URL)
    yield made
    made.close()


@pytest.fixture
async def redis_client():
    """An asyncio Redis client on REDIS_URL, closed after the test."""
    import redis.asyncio as aioredis
    client = aioredis.Redis.from_url(REDIS_URL)
    yield client
    await client.aclose()
