"""A stand-in server for the load tests: a 20 Hz loop on the engine's timeline (tick n due at
start + n * period; more than 5 ticks behind, it skips ahead and counts them), listening on a
loopback port so that `game.hostile.cpu.server_pids` finds it.

Prints the port, then ``tick wall_ms`` a line per tick (the state frames' ``tick`` and
``time``). Commands on stdin, run inside the loop between two ticks: ``spin S`` (burn S
seconds of CPU, as an attack that makes a server work would), ``block S`` (sleep S seconds in
the loop, as a blocking call would), ``skipped`` (print ``skipped N``), ``quit``.

    python -m tests.hostile.ticker
"""

from __future__ import annotations

import asyncio
import socket
import sys
import time

RATE = 20
CATCHUP = 5


def say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


async def main() -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    say(str(listener.getsockname()[1]))
    loop = asyncio.get_running_loop()
    commands: asyncio.Queue[str] = asyncio.Queue()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)

    async def read_commands() -> None:
        while line := (await reader.readline()).decode().strip():
            await commands.put(line)
        await commands.put("quit")

    reading = asyncio.create_task(read_commands())
    period, start, n, tick, skipped = 1.0 / RATE, time.monotonic(), 0, 0, 0
    while True:
        n += 1
        await asyncio.sleep(max(0.0, start + n * period - time.monotonic()))
        deadline = start + n * period
        while not commands.empty():
            verb, _, arg = commands.get_nowait().partition(" ")
            if verb == "quit":
                reading.cancel()
                return
            if verb == "spin":
                until = time.process_time() + float(arg)
                while time.process_time() < until:
                    pass
            elif verb == "block":
                time.sleep(float(arg))  # noqa: ASYNC251 (the blocking call it stands for)
            elif verb == "skipped":
                say(f"skipped {skipped}")
        tick += 1
        say(f"{tick} {int(time.time() * 1000)}")
        ended = time.monotonic()
        if ended > deadline + period:
            behind = int((ended - deadline) / period)
            if behind > CATCHUP:
                skipped += behind
                n += behind


if __name__ == "__main__":
    asyncio.run(main())
