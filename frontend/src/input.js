// Keyboard and mouse to game inputs, and the loop that sends them at the tick rate.
// Keys are read by physical position (`code`), so WASD is ZQSD on an AZERTY keyboard.
// Arena: WASD or arrows move, the mouse aims, a click or Space fires. Pong: W/S or arrows.

const UP = new Set(['KeyW', 'ArrowUp']);
const DOWN = new Set(['KeyS', 'ArrowDown']);
const LEFT = new Set(['KeyA', 'ArrowLeft']);
const RIGHT = new Set(['KeyD', 'ArrowRight']);
const GAME_KEYS = new Set([...UP, ...DOWN, ...LEFT, ...RIGHT, 'Space']);

function typingIn(target) {
  return target instanceof HTMLElement && (target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName));
}

// Space presses the focused button, link or summary: there it is the page's, not the game's.
function pressing(target, code) {
  return code === 'Space' && target instanceof HTMLElement && target.matches('button, a[href], summary, [role="button"]');
}

/**
 * Follow the keys and the mouse. `toWorld(clientX, clientY)` maps a pointer to world
 * coordinates; `origin()` is the own player's position (for the aim angle), or null.
 */
export class Controls {
  constructor({ game, surface, toWorld = () => null, origin = () => null, target = window }) {
    Object.assign(this, { game, surface, toWorld, origin, target });
    this.keys = new Set();
    this.mouse = null;
    this.mouseDown = false;
    this.clicked = false; // a click shorter than one input interval still fires once
    this.enabled = true;
    this.listeners = [
      [target, 'keydown', (e) => this.key(e, true)],
      [target, 'keyup', (e) => this.key(e, false)],
      [target, 'blur', () => this.keys.clear()],
      [surface, 'mousemove', (e) => { this.mouse = this.toWorld(e.clientX, e.clientY); }],
      [surface, 'mousedown', (e) => { if (e.button === 0) { this.mouseDown = true; this.clicked = true; } }],
      [target, 'mouseup', (e) => { if (e.button === 0) this.mouseDown = false; }],
      [surface, 'contextmenu', (e) => e.preventDefault()],
    ];
    for (const [el, type, fn] of this.listeners) el.addEventListener(type, fn);
  }

  key(event, down) {
    if (!this.enabled || typingIn(event.target) || !GAME_KEYS.has(event.code) || pressing(event.target, event.code)) return;
    event.preventDefault(); // arrows and Space would scroll the page
    if (down) this.keys.add(event.code);
    else this.keys.delete(event.code);
  }

  axis(negative, positive) {
    const has = (set) => [...set].some((code) => this.keys.has(code));
    return (has(positive) ? 1 : 0) - (has(negative) ? 1 : 0);
  }

  /** The input payload (`d`) for this moment. */
  sample() {
    const my = this.axis(UP, DOWN);
    if (this.game === 'pong') return { my };
    const mx = this.axis(LEFT, RIGHT);
    const fire = this.mouseDown || this.clicked || this.keys.has('Space');
    this.clicked = false;
    return { mx, my, aim: this.aim(), fire };
  }

  aim() {
    const from = this.origin();
    if (!from || !this.mouse) return this.lastAim ?? 0;
    this.lastAim = Math.atan2(this.mouse.y - from.y, this.mouse.x - from.x);
    return this.lastAim;
  }

  dispose() {
    for (const [el, type, fn] of this.listeners) el.removeEventListener(type, fn);
    this.keys.clear();
  }
}

/**
 * Send one input per tick while `active()` says so: `send(seq, d, dtSeconds)` with an
 * increasing `seq` (it keeps increasing across matches and reconnects).
 */
export class InputLoop {
  constructor({ sample, send, active }) {
    Object.assign(this, { sample, send, active });
    this.seq = 0;
    this.timer = null;
  }

  start(tickRate) {
    this.stop();
    const periodMs = 1000 / tickRate;
    this.timer = setInterval(() => {
      if (!this.active()) return;
      this.send(this.seq, this.sample(), periodMs / 1000);
      this.seq += 1;
    }, periodMs);
  }

  stop() {
    clearInterval(this.timer);
    this.timer = null;
  }
}
