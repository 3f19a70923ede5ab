"""``python -m game.loadtest.redismodel``: what Redis spends per lobby, measured (docs/scale.md).

The model replays the cluster's own scripts and key names, so it lives in game.cluster
(game/cluster/redismodel.py), the one package that imports the cluster's internals; this is
its command-line name among the load-test tools. Same arguments.
"""

import runpy

if __name__ == "__main__":
    runpy.run_module("game.cluster.redismodel", run_name="__main__", alter_sys=True)
