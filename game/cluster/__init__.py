"""Scale-out: many server processes sharing lobbies through Redis (docs/deploy.md).

- `lease`: one owner per lobby — an atomic, renewed, epoch-numbered Redis lease.
- `directory`: the lobby list and each lobby's last trusted state, written only by its owner.
- `snapshot`: a lobby to and from that state.
- `node`: this process's presence in the cluster: its channel, what it sends and receives.
- `remote`: a lobby seen from a process that does not own it, and the owner's view of
  members connected elsewhere.
- `limits`: the limits that guard shared resources (sockets per address, lobbies per client),
  counted across the processes.
- `run`: `make run-cluster`, N daphne processes on one shared socket.
"""
