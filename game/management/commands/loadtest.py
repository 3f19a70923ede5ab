"""`python manage.py loadtest`: bots speaking the real protocol against a running server."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand

from game.loadtest import relayshare, report, runner
from game.loadtest.bots import Plan


class Command(BaseCommand):
    help = ("Run bot players against a running server and report delivery, latency, bytes, CPU and memory. "
            "Every bot connects from 127.0.0.1: start the server with GAME_MAX_CONNECTIONS_PER_ADDRESS "
            "above the number of bots and GAME_MAX_LOBBIES_PER_ADDRESS above the number of lobbies.")

    def add_arguments(self, parser) -> None:
        parser.add_argument("--url", default="http://127.0.0.1:8000",
                            help="server base URL (loopback only); several, comma-separated, for a cluster: "
                                 "lobby i is created on server i (round robin) and its bots connect there")
        parser.add_argument("--spread", action="store_true",
                            help="with several servers: spread each lobby's bots over all of them")
        parser.add_argument("--lobbies", type=int, default=5)
        parser.add_argument("--players", type=int, default=8, help="players per lobby")
        parser.add_argument("--spectators", type=int, default=0, help="spectators per lobby")
        parser.add_argument("--spectator-delay", type=int, default=0,
                            help="the lobbies' spectator_delay (s): spectators watch the delayed feed")
        parser.add_argument("--spectator-client", choices=("lean", "full"), default="lean",
                            help="lean: spectators count frames and sample latency, in processes of their own "
                                 "(thousands per core); full: spectators are bots like the players")
        parser.add_argument("--spectator-processes", type=int, default=1, help="processes for lean spectators")
        parser.add_argument("--match-s", type=int, default=0,
                            help="matches this long (s), each host rematching at once: play that starts and ends "
                                 "(a soak); 0: one match as long as the game allows (an hour)")
        parser.add_argument("--tick-rate", type=int, default=20)
        parser.add_argument("--input-rate", type=float, default=0, help="inputs/s per player (default: tick rate)")
        parser.add_argument("--duration", type=float, default=20.0, help="seconds measured")
        parser.add_argument("--warmup", type=float, default=5.0, help="seconds to connect and start first")
        parser.add_argument("--game", default="arena")
        parser.add_argument("--processes", type=int, default=1, help="client processes")
        parser.add_argument("--server-pid", type=lambda v: [int(p) for p in v.split(",")],
                            help="pid of the server (comma-separated pids: their sum), for CPU and RSS figures")
        parser.add_argument("--json", type=Path, help="write the summary as JSON here")
        parser.add_argument("--plot", type=Path, help="write a PNG plot here")
        parser.add_argument("--quiet", action="store_true", help="no progress bar")
        parser.add_argument("--metrics-token", help="METRICS_TOKEN of a cluster's processes: report the share of "
                                                     "members relayed (game.loadtest.relayshare), mid-run")
        parser.add_argument("--seed", type=int, help="seed the bots' inputs, so that two runs play alike "
                                                     "(the server's match seeds stay its own)")
        parser.add_argument("--baseline", action="store_true",
                            help="target the bare websockets server (python -m game.loadtest.baseline)")

    def handle(self, *args, **opts) -> None:
        plan = Plan(url=opts["url"], lobbies=opts["lobbies"], players=opts["players"],
                    spectators=opts["spectators"], tick_rate=opts["tick_rate"], duration_s=opts["duration"],
                    warmup_s=opts["warmup"], game=opts["game"], input_rate=opts["input_rate"],
                    baseline=opts["baseline"], spread=opts["spread"],
                    spectator_delay_s=opts["spectator_delay"], spectator_client=opts["spectator_client"],
                    spectator_processes=opts["spectator_processes"], match_s=opts["match_s"],
                    seed=opts["seed"])
        bar = None
        if not opts["quiet"]:
            from tqdm import tqdm
            bar = tqdm(total=100, desc="measuring", unit="%", bar_format="{l_bar}{bar}| {elapsed}")

        def progress(fraction: float) -> None:
            if bar is not None:
                bar.n = int(fraction * 100)
                bar.refresh()

        relayed = relayshare.Sampler(opts["url"].split(","), opts["metrics_token"],
                                     opts["warmup"] + opts["duration"] / 2) if opts["metrics_token"] else None
        figures, server, client_cpu = runner.run(plan, processes=opts["processes"],
                                                 server_pid=opts["server_pid"], progress=progress)
        if bar is not None:
            bar.close()
        summary = report.summarize(plan, figures, server, client_cpu)
        self.stdout.write(report.format_summary(summary))
        if relayed is not None:
            self.stdout.write(relayed.report())
            summary["relayed_share"] = relayed.result
        if opts["json"]:
            report.write_json(opts["json"], summary, figures, server)
        if opts["plot"]:
            report.write_plot(opts["plot"], summary, figures)
