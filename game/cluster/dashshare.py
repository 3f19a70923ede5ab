"""The staff dashboard across a cluster: each process shares its figures while one is open.

A process with a staff dashboard socket sets ``<prefix>dash:wanted`` (a few seconds' TTL) every
second. Every process's keeper looks at it each round and, while it is set, writes its own
figures (the dashboard's sampler, registered in `game.runtime.DASHBOARD_SAMPLERS`) to
``<prefix>dash:proc:<node>`` (expiring) and names itself in ``<prefix>dash:procs``; the
dashboard (game.dashboard.feed) reads them all and shows the cluster. Without a dashboard open
this costs each process one EXISTS per keeper round.
"""

from __future__ import annotations

import json

from game.runtime import DASHBOARD_SAMPLERS

TTL_MS = 3000


async def share(node) -> None:
    """Called by the node's keeper after each round that reached Redis."""
    if not DASHBOARD_SAMPLERS or not await node.redis.exists(f"{node.prefix}dash:wanted"):
        return
    sample = await DASHBOARD_SAMPLERS[0]()
    pipe = node.redis.pipeline(transaction=False)
    pipe.set(f"{node.prefix}dash:proc:{node.mail.channel}", json.dumps(sample, separators=(",", ":")), px=TTL_MS)
    pipe.sadd(f"{node.prefix}dash:procs", node.mail.channel)
    await pipe.execute()
