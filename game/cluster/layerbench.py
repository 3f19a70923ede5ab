"""Which channels_redis layer carries a lobby's frames across processes: a measurement.

One publisher process `group_send`s a ~300-byte frame per lobby per tick to the group
``relay.<code>``, whose members are the node channels of ``--receivers`` other processes
(as `game.cluster.node` does); each receiver counts frames and their latency. Run for the
core layer (`RedisChannelLayer`) and the pub/sub layer (`RedisPubSubChannelLayer`):

    REDIS_URL=redis://127.0.0.1:6379/0 python -m game.cluster.layerbench --lobbies 100

It prints, per layer: frames delivered, latency p50/p99, and CPU per published frame in the
publisher and per received frame in a receiver. docs/deploy.md has the figures and the choice.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import os
import statistics
import time

LAYERS = {
    "core": "channels_redis.core.RedisChannelLayer",
    "pubsub": "channels_redis.pubsub.RedisPubSubChannelLayer",
}


def make_layer(kind: str, url: str):
    from django.utils.module_loading import import_string
    cls = import_string(LAYERS[kind])
    host = {"address": url, "socket_timeout": None, "max_connections": 1000} if kind == "core" else {"address": url}
    options = {"capacity": 5000, "expiry": 30} if kind == "core" else {}
    return cls(hosts=[host], prefix="layerbench", **options)


def receiver(kind: str, url: str, lobbies: int, ready, results, stop_at: float) -> None:
    async def run():
        layer = make_layer(kind, url)
        channel = await layer.new_channel()
        for i in range(lobbies):
            await layer.group_add(f"relay.L{i}", channel)
        ready.put(channel)
        latencies, cpu0 = [], time.process_time()
        while True:
            try:
                message = await asyncio.wait_for(layer.receive(channel), timeout=max(0.1, stop_at - time.time() + 2))
            except TimeoutError:
                break
            latencies.append(time.time() - message["sent"])
        results.put((len(latencies), latencies, time.process_time() - cpu0))
    asyncio.run(run())


def publisher(kind: str, url: str, lobbies: int, tick_hz: int, seconds: float) -> tuple[int, float, float]:
    async def run():
        layer = make_layer(kind, url)
        frame = os.urandom(300)
        period, sent, cpu0 = 1 / tick_hz, 0, time.process_time()
        start = time.monotonic()
        late = 0.0
        for n in range(int(seconds * tick_hz)):
            await asyncio.sleep(max(0.0, start + n * period - time.monotonic()))
            late = max(late, time.monotonic() - (start + n * period))
            now = time.time()
            await asyncio.gather(*(layer.group_send(f"relay.L{i}", {"type": "node.state", "sent": now, "delta": frame})
                                   for i in range(lobbies)))
            sent += lobbies
        return sent, time.process_time() - cpu0, late
    return asyncio.run(run())


def measure(kind: str, url: str, lobbies: int, receivers: int, tick_hz: int, seconds: float) -> dict:
    ctx = mp.get_context("spawn")
    ready, results = ctx.Queue(), ctx.Queue()
    stop_at = time.time() + seconds + 8
    procs = [ctx.Process(target=receiver, args=(kind, url, lobbies, ready, results, stop_at)) for _ in range(receivers)]
    for proc in procs:
        proc.start()
    for _ in procs:
        ready.get(timeout=60)
    time.sleep(0.5)
    sent, cpu, late = publisher(kind, url, lobbies, tick_hz, seconds)
    got = [results.get(timeout=seconds + 30) for _ in procs]
    for proc in procs:
        proc.join(timeout=10)
    latencies = sorted(x for _, lat, _ in got for x in lat)
    received = sum(n for n, _, _ in got)
    q = statistics.quantiles(latencies, n=100) if len(latencies) > 2 else [0] * 99
    return {"layer": kind, "lobbies": lobbies, "receivers": receivers, "tick_hz": tick_hz,
            "sent": sent, "delivered": received / max(1, sent * receivers),
            "latency_p50_ms": q[49] * 1000, "latency_p99_ms": q[98] * 1000,
            "publisher_us_per_frame": cpu / max(1, sent) * 1e6,
            "receiver_us_per_frame": statistics.mean(c / max(1, n) for n, _, c in got) * 1e6,
            "publisher_max_late_ms": late * 1000}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lobbies", type=int, default=100)
    parser.add_argument("--receivers", type=int, default=2)
    parser.add_argument("--tick", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--layers", default="core,pubsub")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gameserver.settings")
    url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
    print(f"{'layer':8} {'lobbies':>7} {'delivered':>9} {'p50 ms':>7} {'p99 ms':>7} {'pub µs/frame':>12} "
          f"{'recv µs/frame':>13} {'pub late ms':>11}")
    for kind in args.layers.split(","):
        r = measure(kind, url, args.lobbies, args.receivers, args.tick, args.seconds)
        print(f"{r['layer']:8} {r['lobbies']:>7} {r['delivered']:>9.4f} {r['latency_p50_ms']:>7.2f} "
              f"{r['latency_p99_ms']:>7.2f} {r['publisher_us_per_frame']:>12.1f} {r['receiver_us_per_frame']:>13.1f} "
              f"{r['publisher_max_late_ms']:>11.1f}", flush=True)


if __name__ == "__main__":
    main()
