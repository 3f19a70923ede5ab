// The standard workload as a Colyseus 0.18 room, written the way its documentation writes one:
// a schema() state, the simulation on setSimulationInterval and the patches on setPatchRate,
// both at the tick rate. Players move from their latest input; nothing else happens.
//
//   node server.mjs --port 2567 --tick 20
//
// Prints {"ready": true} on stdout once it listens.
import { Room, Server } from "@colyseus/core";
import { WebSocketTransport } from "@colyseus/ws-transport";
import { schema, t } from "@colyseus/schema";

const option = (name, fallback) => {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? process.argv[at + 1] : fallback;
};
const port = Number(option("port", 2567));
const tickHz = Number(option("tick", 20));
const WIDTH = 1600, HEIGHT = 900, SPEED = 260; // the arena's size and a player's speed (units/s)

const Player = schema({ x: t.number(), y: t.number(), hp: t.uint8(), score: t.uint16() }, "Player");
const State = schema({
  players: t.map(Player),
  tick: t.uint32(),
  time: t.float64(), // server clock (ms since the epoch) of the tick: the clients' latency stamp
}, "State");

class Arena extends Room {
  onCreate(options) {
    this.maxClients = Number(options.players) || 8;
    this.state = new State();
    this.moves = new Map(); // sessionId -> [mx, my]: the latest input, not replicated
    this.onMessage("input", (client, input) => {
      const move = this.moves.get(client.sessionId);
      if (move && input) {
        move[0] = Math.max(-1, Math.min(1, Number(input.mx) || 0));
        move[1] = Math.max(-1, Math.min(1, Number(input.my) || 0));
      }
    });
    const periodMs = 1000 / tickHz;
    this.setSimulationInterval((dtMs) => this.step(dtMs / 1000), periodMs);
    this.setPatchRate(periodMs);
  }

  onJoin(client) {
    const player = new Player();
    player.x = 100 + Math.random() * 1400;
    player.y = 100 + Math.random() * 700;
    player.hp = 100;
    player.score = 0;
    this.state.players.set(client.sessionId, player);
    this.moves.set(client.sessionId, [0, 0]);
  }

  onLeave(client) {
    this.state.players.delete(client.sessionId);
    this.moves.delete(client.sessionId);
  }

  step(dt) {
    const state = this.state;
    state.tick += 1;
    state.players.forEach((player, id) => {
      const [mx, my] = this.moves.get(id);
      player.x = Math.min(WIDTH - 18, Math.max(18, player.x + mx * SPEED * dt));
      player.y = Math.min(HEIGHT - 18, Math.max(18, player.y + my * SPEED * dt));
    });
    state.time = performance.timeOrigin + performance.now();
  }
}

const server = new Server({ transport: new WebSocketTransport(), greet: false });
server.define("arena", Arena);
await server.listen(port, "127.0.0.1");
process.stdout.write(JSON.stringify({ ready: true, node: process.version }) + "\n");
for (const signal of ["SIGTERM", "SIGINT"]) process.on(signal, () => process.exit(0));
