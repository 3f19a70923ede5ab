"""`manage.py hostile`: hostile traffic against the operator's own server, with a healthy observer.

The run (`runner.py`) keeps two lobbies playing in a thread of their own (`stage.py`): the
*observer*, whose state frames are counted per attack window (`measure.py`), and the *victim*,
whose host the attacker is not. It then plays the catalogue (`catalogue.py`: the attacks of
`attacks_edge.py`, `attacks_frames.py`, `attacks_http.py`), one attack at a time, each bounded in
count and time; after each it checks both lobbies are intact. `report.py` prints the table and
decides the exit status. Every byte goes to the one server named by ``--url`` (`target.py`);
sockets speak the protocol through the load tester's lean client (`game.loadtest.wire`).

Nothing here imports Django: the command is a client, like the load tester.
"""
