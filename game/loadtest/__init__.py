"""A load tester that speaks the real protocol: bots in lobbies on a running server.

`bots.py` runs the clients of one process, `runner.py` spreads lobbies over processes and
merges their figures, `report.py` turns figures into a summary, JSON and a PNG plot.
Nothing here imports Django: it talks to the server over HTTP and websockets only.
"""
