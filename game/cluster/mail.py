"""This process's address on the channel layer, and what it sends other processes.

Two kinds of mail leave, each from its own task so that neither waits for the other:

- messages about one member (join, leave, inputs and commands to the lobby's owner; that
  member's own frames back), batched per destination: everything posted during one turn of
  the event loop goes in one layer message (``node.batch``), whose ``items`` the receiving
  node hands to its handlers (`game.cluster.node.Node`);
- state frames, once per lobby per tick, to the group of the nodes relaying that lobby
  (``relay.<code>``: `relay_group`), lobbies in parallel, each lobby's frames in order; a
  lobby whose game has per-player views sends each such node its own state message
  (`send_state`: the views its members see, game.cluster.guests), in order per node.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict

from game.outage import OUTAGE

log = logging.getLogger("game.cluster")

BATCH_TYPE = "node.batch"
STATE_TYPE = "node.state"


def relay_group(code: str) -> str:
    """The group of the nodes that relay lobby ``code``'s state frames to local members."""
    return f"relay.{code}"


class Mailbox:
    """The node's channel, and its outgoing batches and state frames."""

    def __init__(self, layer) -> None:
        self.layer = layer
        self.channel = ""  # this node's own channel, once `open` has made it
        self.outgoing: dict[str, list] = defaultdict(list)
        self.wake = asyncio.Event()
        self.states: dict[str | tuple[str], list[dict]] = defaultdict(list)  # relay group (or (node,)) -> frames
        self.states_wake = asyncio.Event()

    async def open(self) -> None:
        # The default prefix: channels_redis' core layer reads every process-local channel
        # through one shared key per prefix; a second prefix would starve the consumers'.
        self.channel = await self.layer.new_channel()

    def post(self, channel: str, item: list) -> None:
        """Queue ``item`` for the node ``channel``; it leaves with this loop turn's batch."""
        self.outgoing[channel].append(item)
        self.wake.set()

    def publish_state(self, code: str, message: dict) -> None:
        """Queue a state frame of lobby ``code`` for every node that relays it."""
        self.states[relay_group(code)].append(message)
        self.states_wake.set()

    def send_state(self, channel: str, message: dict) -> None:
        """Queue a state message for the node ``channel`` alone (frames of views that other
        nodes' members may not see); it leaves with the relayer, after this node's earlier ones."""
        self.states[(channel,)].append(message)
        self.states_wake.set()

    async def flushed(self, attempts: int = 50) -> None:
        """Wait (a second at most) until the queued batches have left."""
        for _ in range(attempts):
            if not self.outgoing:
                return
            await asyncio.sleep(0.02)

    async def run_sender(self) -> None:
        while True:
            await self.wake.wait()
            self.wake.clear()
            batches, self.outgoing = self.outgoing, defaultdict(list)
            await asyncio.gather(*(self._send(channel, items) for channel, items in batches.items()))

    async def _send(self, channel: str, items: list) -> None:
        try:
            await self.layer.send(channel, {"type": BATCH_TYPE, "items": items})
        except Exception as exc:
            OUTAGE.report("a node batch", exc, log, "node %s unreachable: %d messages dropped", channel, len(items),
                          dropped=len(items))

    async def run_relayer(self) -> None:
        """Publish queued state frames: lobbies in parallel, each lobby's frames in order."""
        while True:
            await self.states_wake.wait()
            self.states_wake.clear()
            batches, self.states = self.states, defaultdict(list)
            await asyncio.gather(*(self._group_send(group, frames) for group, frames in batches.items()))

    async def _group_send(self, group: str | tuple[str], frames: list[dict]) -> None:
        for message in frames:
            try:
                if isinstance(group, tuple):  # one node's own state message (`send_state`)
                    await self.layer.send(group[0], message)
                else:
                    await self.layer.group_send(group, message)
            except Exception as exc:
                OUTAGE.report("a relay", exc, log, "relay to %s failed (the next keyframe covers it)", group,
                              dropped=1)
