// The keyboard and mouse as a game reads them, and the loop that sends inputs at the tick rate.
// Which keys a game takes and what it sends is the game's (`input` in its module, registry.js);
// this module only follows the devices. Keys are read by physical position (`code`), so WASD
// is ZQSD on an AZERTY keyboard.

/** Key codes that games share: the direction pairs and the usual fire key. */
export const KEYS = Object.freeze({
  up: Object.freeze(['KeyW', 'ArrowUp']),
  down: Object.freeze(['KeyS', 'ArrowDown']),
  left: Object.freeze(['KeyA', 'ArrowLeft']),
  right: Object.freeze(['KeyD', 'ArrowRight']),
  fire: Object.freeze(['Space']),
});

function typingIn(target) {
  return target instanceof HTMLElement && (target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName));
}

// Space presses the focused button, link or summary: there it is the page's, not the game's.
function pressing(target, code) {
  return code === 'Space' && target instanceof HTMLElement && target.matches('button, a[href], summary, [role="button"]');
}

/**
 * Follow the keys the game takes (`keys`: codes) and the mouse on `surface`, whose pointer
 * `toWorld(clientX, clientY)` maps to world coordinates. What a game's `sample(c, view)` reads:
 * `axis(negative, positive)`, `down(code)`, `pointer` (the mouse in world units, or null),
 * `pressed` (the main button held), `clicked` (a click since the last input, even one shorter
 * than an input interval), `click` (that click's world point, or null: a one-off input) and
 * `clicks` (every click's world point since the last input, in order: two quick taps, say a
 * choice and a confirm, both count even when they land between two samples).
 */
export class Controls {
  constructor({ keys = [], surface, toWorld = () => null, target = window }) {
    Object.assign(this, { surface, toWorld, target });
    this.gameKeys = new Set(keys);
    this.held = new Set();
    this.pointer = null;
    this.pressed = false;
    this.clicked = false;
    this.click = null;
    this.clicks = [];
    this.enabled = true;
    this.listeners = [
      [target, 'keydown', (e) => this.key(e, true)],
      [target, 'keyup', (e) => this.key(e, false)],
      [target, 'blur', () => this.held.clear()],
      [surface, 'mousemove', (e) => { this.pointer = this.toWorld(e.clientX, e.clientY); }],
      [surface, 'mousedown', (e) => this.mouseDown(e)],
      [target, 'mouseup', (e) => { if (e.button === 0) this.pressed = false; }],
      [surface, 'contextmenu', (e) => e.preventDefault()],
    ];
    for (const [el, type, fn] of this.listeners) el.addEventListener(type, fn);
  }

  key(event, down) {
    if (!this.enabled || typingIn(event.target) || !this.gameKeys.has(event.code) || pressing(event.target, event.code)) return;
    event.preventDefault(); // arrows and Space would scroll the page
    if (down) this.held.add(event.code);
    else this.held.delete(event.code);
  }

  mouseDown(event) {
    if (event.button !== 0) return;
    this.pressed = true;
    if (!this.enabled) return;
    this.clicked = true;
    this.click = this.toWorld(event.clientX, event.clientY);
    this.clicks.push(this.click);
  }

  /** Whether the key `code` is held. */
  down(code) {
    return this.held.has(code);
  }

  /** -1, 0 or 1: a key of `negative` held, none or both, a key of `positive` held. */
  axis(negative, positive) {
    const has = (codes) => codes.some((code) => this.held.has(code));
    return (has(positive) ? 1 : 0) - (has(negative) ? 1 : 0);
  }

  /** This tick's input payload (`d`), as the game's `input.sample(c, view)` makes it; the click
   * it saw is used up. */
  sample(input, view) {
    const d = input.sample(this, view);
    this.clicked = false;
    this.click = null;
    this.clicks = [];
    return d;
  }

  dispose() {
    for (const [el, type, fn] of this.listeners) el.removeEventListener(type, fn);
    this.held.clear();
  }
}

/**
 * Send one input per tick while `active()` says so: `send(inputSeq, d, dtSeconds)` with an
 * increasing `inputSeq` (it keeps increasing across matches and reconnects). A tick whose
 * `sample()` is null sends nothing (a turn-based game between moves).
 */
export class InputLoop {
  constructor({ sample, send, active }) {
    Object.assign(this, { sample, send, active });
    this.inputSeq = 0;
    this.timer = null;
  }

  start(tickRate) {
    this.stop();
    const periodMs = 1000 / tickRate;
    this.timer = setInterval(() => {
      if (!this.active()) return;
      const d = this.sample();
      if (d === null || d === undefined) return;
      this.send(this.inputSeq, d, periodMs / 1000);
      this.inputSeq += 1;
    }, periodMs);
  }

  stop() {
    clearInterval(this.timer);
    this.timer = null;
  }
}
