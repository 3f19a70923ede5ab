"""Scale-out: many server processes sharing lobbies through Redis (docs/deploy.md).

- `runtime`: `ClusterRuntime`, the process's runtime when settings choose the cluster.
- `node`: this process's presence in the cluster: what it receives, its heartbeat, its watchdog.
- `mail`: its channel, and what it sends (messages batched per node, state frames per lobby).
- `ownership`: which lobbies run here: leases, the directory, takeover and handover.
- `guests`: the owner's side of members connected through other processes.
- `remote`: lobbies run by other processes, seen from this one (`RemoteLobby`, relays).
- `lease`: one owner per lobby — an atomic, renewed, epoch-numbered Redis lease.
- `directory`: the lobby list and each lobby's last trusted state, written only by its owner.
- `snapshot`: a lobby to and from that state.
- `limits`: the limits that guard shared resources (sockets per address, lobbies per client),
  counted across the processes.
- `run`: `make run-cluster`, N daphne processes on one shared socket.
"""
