// Liar's Dice in the browser: the table (every player's cup, the own dice, the bid, the turn
// clock, the lifted cups after a call) and the bid controls, drawn as big buttons on the canvas
// so a finger or a mouse plays it alike. The state is the player's own view (game/rules/
// liars_dice.py): other players' dice are only there while the cups are lifted. A move is a
// one-off input: `sample` returns null (nothing sent) until Bid or Liar is pressed.
import { gameText } from '../i18n.js';
import { WorldCanvas, colourMap } from '../render/canvas.js';

export const WORLD = Object.freeze({ width: 800, height: 640 });
const FACES = [1, 2, 3, 4, 5, 6];

/** Everything Liar's Dice says to people, in each language (docs/i18n.md). */
export const MESSAGES = Object.freeze({
  en: {
    help: 'Tap a face and −/+ to choose your bid, then Bid; or call Liar! Keys: 1–6, ↑/↓, Enter, L',
    bid: 'Bid',
    liar: 'Liar!',
    your_turn: 'Your turn',
    turn_of: '{name} to bid',
    no_bid: 'No bid yet: open the round',
    current_bid: '{q} × {f} by {name}',
    cups_up: '{count} × {f} on the table: {name} loses a die',
    seconds: '{s} s',
    dice_left: 'dice left',
    out: 'out',
    round: 'Round {n}',
    on_table: '{n} dice on the table',
    wild: 'ones are wild',
    said_bid: '{name} bids {q} × {f}.',
    said_call: '{name} calls {bidder}: {count} × {f} on the table, {loser} loses a die.',
    said_timeout: '{name} ran out of time.',
    said_out: '{name} is out.',
    'setting.dice': 'Dice each',
    'setting.turn_time': 'Turn time (s)',
    'setting.wild_ones': 'Ones are wild',
    'refused.not_your_turn': 'Not your turn yet',
    'refused.not_bidding': 'Wait for the next round',
    'refused.bad_face': 'Pick a face from 1 to 6',
    'refused.bad_quantity': 'Bid between 1 and all the dice on the table',
    'refused.too_low': 'Bid more dice, or as many of a higher face',
    'refused.nothing_to_call': 'There is no bid to call yet',
    'reason.last_standing': 'Last one standing',
  },
  hi: {
    help: 'पासे का अंक और −/+ चुनकर बोली लगाएँ, फिर बोली दबाएँ; या झूठ! कहें। कुंजियाँ: 1–6, ↑/↓, Enter, L',
    bid: 'बोली',
    liar: 'झूठ!',
    your_turn: 'आपकी बारी',
    turn_of: '{name} की बारी',
    no_bid: 'अभी कोई बोली नहीं: दौर शुरू करें',
    current_bid: '{name} की बोली: {q} × {f}',
    cups_up: 'मेज़ पर {count} × {f}: {name} एक पासा खोते हैं',
    seconds: '{s} से.',
    dice_left: 'बचे पासे',
    out: 'बाहर',
    round: 'दौर {n}',
    on_table: 'मेज़ पर {n} पासे',
    wild: 'इक्के किसी भी अंक के बराबर',
    said_bid: '{name} ने {q} × {f} की बोली लगाई।',
    said_call: '{name} ने {bidder} को झूठा कहा: मेज़ पर {count} × {f}, {loser} एक पासा खोते हैं।',
    said_timeout: '{name} का समय समाप्त हुआ।',
    said_out: '{name} खेल से बाहर हुए।',
    'setting.dice': 'हर खिलाड़ी के पासे',
    'setting.turn_time': 'बारी का समय (से.)',
    'setting.wild_ones': 'इक्के जोकर',
    'refused.not_your_turn': 'अभी आपकी बारी नहीं है',
    'refused.not_bidding': 'अगले दौर की प्रतीक्षा करें',
    'refused.bad_face': '1 से 6 तक कोई अंक चुनें',
    'refused.bad_quantity': 'बोली 1 से मेज़ के सभी पासों तक हो',
    'refused.too_low': 'अधिक पासे, या उतने ही पर ऊँचा अंक बोलें',
    'refused.nothing_to_call': 'अभी झूठा कहने को कोई बोली नहीं है',
    'reason.last_standing': 'आख़िरी बचे खिलाड़ी की जीत',
  },
});
const t = gameText('liars_dice', MESSAGES);

// -- the controls: big buttons in world units (on a phone 800 units are the screen's width) ---
const ROW1 = 425;
const ROW2 = 532;
const H = 100;
export const BUTTONS = Object.freeze([
  { id: 'less', x: 20, y: ROW1, w: 120, h: H },
  { id: 'qty', x: 150, y: ROW1, w: 120, h: H },
  { id: 'more', x: 280, y: ROW1, w: 120, h: H },
  { id: 'bid', x: 420, y: ROW1, w: 170, h: H },
  { id: 'liar', x: 610, y: ROW1, w: 170, h: H },
  ...FACES.map((f, i) => ({ id: `face${f}`, face: f, x: 20 + i * 128, y: ROW2, w: 120, h: H })),
]);

/** The button under world point `p`, or null. */
export function buttonAt(p) {
  if (!p) return null;
  return BUTTONS.find((b) => p.x >= b.x && p.x <= b.x + b.w && p.y >= b.y && p.y <= b.y + b.h) ?? null;
}

/** The smallest bid above (q, f): as many of a higher face, else one more. */
export function nextBid(q, f, face) {
  if (!q) return { q: 1, f: face };
  return face > f ? { q, f: face } : { q: q + 1, f: face };
}

/**
 * What the player is choosing: the bid's quantity and face. Reset to the least raise on the
 * chosen face whenever the bid on the table changes. One per page (one game is shown).
 */
export const choice = { q: 1, f: 2, seen: null, keys: new Set() };

function follow(g) {
  const key = `${g?.rd}:${g?.bq ?? 0}:${g?.bf ?? 0}`;
  if (g && key !== choice.seen) {
    choice.seen = key;
    const next = nextBid(g.bq ?? 0, g.bf ?? 0, choice.f);
    choice.q = next.q;
    choice.f = next.f;
  }
}

/** One press of a control: changes the choice, or returns the move to send. */
export function press(id, g) {
  const total = g?.tot ?? 30;
  if (id === 'less') choice.q = Math.max(1, choice.q - 1);
  else if (id === 'more') choice.q = Math.min(total, choice.q + 1);
  else if (id.startsWith('face')) {
    const face = Number(id.slice(4));
    const least = nextBid(g?.bq ?? 0, g?.bf ?? 0, face);
    choice.f = face;
    choice.q = Math.max(choice.q, least.q);
    if (g?.bq && choice.q === g.bq && face <= g.bf) choice.q = g.bq + 1;
  } else if (id === 'bid') return { bq: choice.q, bf: choice.f };
  else if (id === 'liar') return { call: true };
  return null;
}

const KEY_ACTIONS = Object.freeze({
  ArrowUp: 'more', ArrowDown: 'less', Enter: 'bid', NumpadEnter: 'bid', KeyL: 'liar',
  Digit1: 'face1', Digit2: 'face2', Digit3: 'face3', Digit4: 'face4', Digit5: 'face5', Digit6: 'face6',
});

/** Keys and clicks (a tap is a click): each press once; a move when Bid or Liar is pressed. */
export const input = Object.freeze({
  keys: Object.keys(KEY_ACTIONS),
  sample(c, view) {
    const g = view?.state?.g ?? latestGlobals;
    let move = null;
    for (const [code, action] of Object.entries(KEY_ACTIONS)) {
      const down = c.down(code);
      if (down && !choice.keys.has(code)) move = press(action, g) ?? move;
      if (down) choice.keys.add(code);
      else choice.keys.delete(code);
    }
    // Every tap since the last sample, in order: a face and then Bid tapped quickly both count.
    for (const point of c.clicks ?? (c.clicked ? [c.click] : [])) {
      const hit = buttonAt(point);
      if (hit) move = press(hit.id, g) ?? move;
    }
    return move;
  },
});

let latestGlobals = null; // the newest globals drawn, for input between frames

// -- drawing --------------------------------------------------------------------------------
const PIPS = {
  1: [[0, 0]], 2: [[-1, -1], [1, 1]], 3: [[-1, -1], [0, 0], [1, 1]], 4: [[-1, -1], [1, -1], [-1, 1], [1, 1]],
  5: [[-1, -1], [1, -1], [0, 0], [-1, 1], [1, 1]], 6: [[-1, -1], [1, -1], [-1, 0], [1, 0], [-1, 1], [1, 1]],
};

export class LiarsDiceRenderer extends WorldCanvas {
  constructor(canvas) {
    super(canvas, WORLD.width, WORLD.height);
    this.turnSeen = null;
    this.turnFrom = 0;
  }

  /** `view`: as registry.js describes it (state, own, focus, banner, now). */
  draw(view) {
    const { ctx, width, height } = this;
    ctx.fillStyle = '#0f3a2a';
    ctx.fillRect(0, 0, width, height);
    const g = view.state?.g ?? null;
    latestGlobals = g;
    if (g) follow(g);
    const entities = view.state?.e ?? {};
    const colours = colourMap(entities);
    const seats = Object.entries(entities).filter(([id]) => colours.has(id))
      .sort(([, a], [, b]) => (a.seat ?? 0) - (b.seat ?? 0));
    seats.forEach(([id, e], i) => this.seat(id, e, i, seats.length, colours.get(id), g, view));
    if (g) this.table(g, entities, view.now);
    if (view.own && entities[view.own]) this.controls(g, view.own);
    if (view.banner) this.banner(view.banner.text, view.banner.sub);
  }

  seat(id, e, i, n, colour, g, view) {
    const w = (this.width - 20) / Math.max(n, 1);
    const x = 10 + i * w;
    const { ctx } = this;
    const turn = g && `p${g.tu}` === id && !g.rv;
    ctx.fillStyle = turn ? 'rgba(255, 235, 120, 0.22)' : 'rgba(0, 0, 0, 0.25)';
    ctx.fillRect(x + 4, 10, w - 8, 170);
    ctx.strokeStyle = id === view.own ? '#ffffff' : colour;
    ctx.lineWidth = id === view.own || id === view.focus ? 4 : 2;
    ctx.strokeRect(x + 4, 10, w - 8, 170);
    this.label(e.n ?? '?', x + w / 2, 32, { size: 20, colour });
    const held = e.k ?? 0;
    if (!held) {
      this.label(t('out'), x + w / 2, 100, { size: 22, colour: '#aab' });
      return;
    }
    const size = Math.min(34, (w - 30) / Math.max(held, 1) - 4);
    for (let k = 0; k < held; k += 1) {
      const dx = x + w / 2 + (k - (held - 1) / 2) * (size + 6);
      const face = e.d ? e.d[k] : null;
      const counted = g?.rv && face && (face === g.rv.f || (g.wo && g.rv.f !== 1 && face === 1));
      this.die(dx, 90, size, face, counted);
    }
    this.label(`${held} · ${t('dice_left')}`, x + w / 2, 150, { size: 15, colour: '#cde' });
  }

  table(g, entities, now) {
    const name = (pid) => entities[`p${pid}`]?.n ?? `#${pid}`;
    const mid = this.width / 2;
    this.label(`${t('round', { n: g.rd })}  ·  ${t('on_table', { n: g.tot })}${g.wo ? `  ·  ${t('wild')}` : ''}`,
      mid, 205, { size: 16, colour: '#cde' });
    if (g.rv) {
      this.label(t('cups_up', { count: g.rv.count, f: g.rv.f, name: name(g.rv.loser) }), mid, 250,
        { size: 26, weight: '800', colour: '#ffd54f' });
    } else {
      const text = g.bq ? t('current_bid', { q: g.bq, f: g.bf, name: name(g.bb) }) : t('no_bid');
      this.label(text, mid, 250, { size: 26, weight: '800' });
      if (g.bq) this.die(mid + 200, 300, 40, g.bf, false);
    }
    const key = `${g.rd}:${g.tu}:${g.bq ?? 0}:${g.bf ?? 0}:${g.rv ? 1 : 0}:${g.tl}`;
    if (key !== this.turnSeen) {
      this.turnSeen = key;
      this.turnFrom = now;
    }
    const left = Math.max(0, Math.ceil((g.tl ?? 0) - (now - this.turnFrom) / 1000));
    if (!g.rv) {
      this.label(`${t('turn_of', { name: name(g.tu) })}  ·  ${t('seconds', { s: left })}`, mid, 350,
        { size: 20, colour: '#fff' });
    }
  }

  controls(g, own) {
    const mine = g && `p${g.tu}` === own && !g.rv;
    if (mine) this.label(t('your_turn'), this.width / 2, 396, { size: 24, weight: '800', colour: '#ffeb3b' });
    const { ctx } = this;
    for (const b of BUTTONS) {
      const active = b.face === choice.f || b.id === 'qty';
      ctx.globalAlpha = mine ? 1 : 0.45;
      ctx.fillStyle = b.id === 'liar' ? '#c62828' : b.id === 'bid' ? '#2e7d32' : active ? '#3949ab' : '#263238';
      ctx.fillRect(b.x, b.y, b.w, b.h);
      ctx.strokeStyle = '#e0e0e0';
      ctx.lineWidth = 2;
      ctx.strokeRect(b.x, b.y, b.w, b.h);
      const cx = b.x + b.w / 2;
      const cy = b.y + b.h / 2;
      if (b.face) this.die(cx, cy, 54, b.face, false);
      else if (b.id === 'less') this.label('−', cx, cy, { size: 44, weight: '800' });
      else if (b.id === 'more') this.label('+', cx, cy, { size: 44, weight: '800' });
      else if (b.id === 'qty') this.label(`${choice.q} ×`, cx, cy, { size: 34, weight: '800' });
      else this.label(t(b.id), cx, cy, { size: 28, weight: '800' });
      ctx.globalAlpha = 1;
    }
  }

  /** A die of `face` (null: a hidden one, a cup) centred on (x, y). */
  die(x, y, size, face, glow) {
    const { ctx } = this;
    const h = size / 2;
    ctx.fillStyle = face ? (glow ? '#ffe082' : '#fafafa') : '#5d4037';
    ctx.fillRect(x - h, y - h, size, size);
    ctx.strokeStyle = '#212121';
    ctx.lineWidth = 2;
    ctx.strokeRect(x - h, y - h, size, size);
    if (!face) return;
    ctx.fillStyle = '#212121';
    for (const [px, py] of PIPS[face] ?? []) {
      ctx.beginPath();
      ctx.arc(x + px * size * 0.27, y + py * size * 0.27, Math.max(2, size * 0.09), 0, Math.PI * 2);
      ctx.fill();
    }
  }
}

function describe(e, nameOf) {
  if (e.type === 'bid') return t('said_bid', { name: nameOf(e.id), q: e.q, f: e.f });
  if (e.type === 'call') {
    return t('said_call', { name: nameOf(e.id), bidder: nameOf(e.bidder), count: e.count, f: e.f, loser: nameOf(e.loser) });
  }
  if (e.type === 'timeout') return t('said_timeout', { name: nameOf(e.id) });
  if (e.type === 'out') return t('said_out', { name: nameOf(e.id) });
  return null;
}

export default Object.freeze({
  name: 'liars_dice',
  messages: MESSAGES,
  help: t('help'),
  Renderer: LiarsDiceRenderer,
  input,
  score: (row) => ({ text: String(row.k ?? 0), title: t('dice_left') }),
  compare: (a, b) => (b.k ?? 0) - (a.k ?? 0),
  describe,
  refused: (reason) => t(`refused.${reason}`),
  pingEveryMs: 10000, // turns: the round trip matters less, and a quiet table should cost nothing
});
