// Load for the Colyseus room with its own SDK (@colyseus/sdk): R rooms of P players, each player
// sending one input per tick, every patch counted inside the measuring window. One player per room
// lets the SDK decode every patch and measures latency (patch arrival minus the tick's server
// time); the others count frames without decoding, so that one client core keeps up.
//
//   node client.mjs --url ws://127.0.0.1:2567 --rooms 10 --players 8 --tick 20 \
//                   --start 1767225600000 --duration 15
//
// --start is the window's start (ms since the epoch), shared with the harness that samples the
// server's CPU. Prints one JSON line: {"result": {...}}.
const option = (name, fallback) => {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? process.argv[at + 1] : fallback;
};
const url = option("url", "ws://127.0.0.1:2567");
const rooms = Number(option("rooms", 1));
const players = Number(option("players", 8));
const tickHz = Number(option("tick", 20));
const windowStart = Number(option("start", Date.now() + 5000));
const windowEnd = windowStart + 1000 * Number(option("duration", 15));

delete globalThis.WebSocket; // the SDK then uses the `ws` package, as under Node 20
const { Client } = await import("@colyseus/sdk");
const { Protocol } = await import("@colyseus/shared-types");

const clock = () => performance.timeOrigin + performance.now();
const latencies = [];
let frames = 0, bytes = 0, errors = 0, inputs = 0;
const errorSamples = [];

function watch(room, decodes) {
  const events = room.connection.events;
  const decode = events.onmessage;
  events.onmessage = (event) => {
    const at = clock();
    const data = new Uint8Array(event.data);
    if ((data[0] & 31) !== Protocol.ROOM_STATE_PATCH) return decode(event);
    if (decodes) decode(event);
    if (at < windowStart || at >= windowEnd) return;
    frames += 1;
    bytes += data.byteLength;
    if (decodes) latencies.push(at - room.state.time);
  };
  room.onError((code, message) => { errors += 1; if (errorSamples.length < 5) errorSamples.push(`${code} ${message}`); });
  room.onLeave((code) => { if (clock() < windowEnd) { errors += 1; if (errorSamples.length < 5) errorSamples.push(`left ${code}`); } });
}

const sdk = new Client(url);
const all = [];
async function join(index) {
  const first = await sdk.create("arena", { players });
  const others = await Promise.all(Array.from({ length: players - 1 }, () => sdk.joinById(first.roomId)));
  const members = [first, ...others];
  members.forEach((room, i) => watch(room, i === members.length - 1));
  all.push(...members);
}
let next = 0;
await Promise.all(Array.from({ length: Math.min(8, rooms) }, async () => {
  while (next < rooms) await join(next++);
}));

const periodMs = 1000 / tickHz;
for (const room of all) {
  setTimeout(() => setInterval(() => {
    room.send("input", { mx: Math.round(Math.random() * 2 - 1), my: Math.round(Math.random() * 2 - 1) });
    if (clock() >= windowStart && clock() < windowEnd) inputs += 1;
  }, periodMs), Math.random() * periodMs);
}
const cpu = { start: null };
setTimeout(() => { cpu.start = process.cpuUsage(); }, Math.max(0, windowStart - clock()));
await new Promise((resolve) => setTimeout(resolve, Math.max(0, windowEnd - clock()) + 200));
const used = process.cpuUsage(cpu.start ?? undefined);
latencies.sort((a, b) => a - b);
const pick = (q) => (latencies.length ? latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] : null);
process.stdout.write(JSON.stringify({ result: {
  clients: all.length, frames, bytes, inputs, errors, error_samples: errorSamples,
  latency_ms_p50: pick(0.5), latency_ms_p99: pick(0.99), latency_ms_max: latencies.at(-1) ?? null,
  client_cpu_fraction: (used.user + used.system) / 1e6 / ((windowEnd - windowStart) / 1000),
  node: process.version,
} }) + "\n");
process.exit(0);
