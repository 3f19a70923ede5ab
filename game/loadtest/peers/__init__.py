"""Other game servers on the standard workload, side by side with the project's (`make bench-peers`).

``colyseus/`` holds a Colyseus 0.18 room and its SDK load client (pinned in its package.json and
package-lock.json); `game.loadtest.peers.colyseus` installs them with npm and measures one probe;
`game.loadtest.peers.sweep` runs every server at the same lobby counts and writes the table.
"""
