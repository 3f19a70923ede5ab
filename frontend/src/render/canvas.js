// What every game's renderer shares: a canvas that fills its box at the world's aspect ratio (sharp
// on high-DPI screens), the pointer-to-world mapping, and the player colours (render/players.js).
import { PLAYER_COLOURS } from './players.js';

export { PLAYER_COLOURS };

// The page's fonts (style.css), so names and banners in Devanagari find a font that has it.
const CANVAS_FONTS = 'system-ui, "Noto Sans", "Noto Sans Devanagari", "Nirmala UI", Mangal, "Kohinoor Devanagari", "Lohit Devanagari", sans-serif';

/** Colour of each player entity id (`p<member id>`), from the member id, so that a player keeps
 * theirs for the whole lobby whoever joins or leaves, the same on every screen. Member ids are
 * never reused; ids that fall on a colour in use take the next free one, lower ids first. */
export function colourMap(entities) {
  const ids = Object.keys(entities).filter((id) => /^p\d+$/.test(id))
    .sort((a, b) => Number(a.slice(1)) - Number(b.slice(1)));
  const taken = new Set();
  const colours = new Map();
  for (const id of ids) {
    let slot = (Number(id.slice(1)) + PLAYER_COLOURS.length - 1) % PLAYER_COLOURS.length; // member ids start at 1
    for (let i = 0; i < PLAYER_COLOURS.length && taken.has(slot); i += 1) slot = (slot + 1) % PLAYER_COLOURS.length;
    taken.add(slot);
    colours.set(id, PLAYER_COLOURS[slot]);
  }
  return colours;
}

export class WorldCanvas {
  constructor(canvas, width, height) {
    Object.assign(this, { canvas, width, height });
    this.ctx = canvas.getContext('2d');
    this.scale = 1;
    this.observer = new ResizeObserver(() => this.fit());
    this.observer.observe(canvas.parentElement);
    this.fit();
  }

  /** Size the canvas to its parent's box, keeping the world's aspect ratio. */
  fit() {
    const box = this.canvas.parentElement.getBoundingClientRect();
    const scale = Math.max(0.1, Math.min(box.width / this.width, box.height / this.height));
    const dpr = window.devicePixelRatio || 1;
    this.scale = scale;
    this.canvas.style.width = `${Math.floor(this.width * scale)}px`;
    this.canvas.style.height = `${Math.floor(this.height * scale)}px`;
    this.canvas.width = Math.floor(this.width * scale * dpr);
    this.canvas.height = Math.floor(this.height * scale * dpr);
    this.ctx.setTransform(scale * dpr, 0, 0, scale * dpr, 0, 0);
  }

  /** World coordinates of a pointer position. */
  toWorld(clientX, clientY) {
    const rect = this.canvas.getBoundingClientRect();
    return { x: ((clientX - rect.left) / rect.width) * this.width, y: ((clientY - rect.top) / rect.height) * this.height };
  }

  /** Screen (client) coordinates of a world position: for tests and overlays. */
  toClient(x, y) {
    const rect = this.canvas.getBoundingClientRect();
    return { x: rect.left + (x / this.width) * rect.width, y: rect.top + (y / this.height) * rect.height };
  }

  /** Outlined text; centred labels are kept inside the world so names at an edge stay whole. */
  label(text, x, y, { colour = '#fff', size = 14, weight = '600', align = 'center' } = {}) {
    const { ctx } = this;
    ctx.font = `${weight} ${size}px ${CANVAS_FONTS}`;
    if (align === 'center') {
      const half = ctx.measureText(text).width / 2 + 4;
      x = Math.min(this.width - half, Math.max(half, x));
    }
    ctx.textAlign = align;
    ctx.textBaseline = 'middle';
    ctx.lineWidth = 3;
    ctx.strokeStyle = 'rgba(0,0,0,0.75)';
    ctx.strokeText(text, x, y);
    ctx.fillStyle = colour;
    ctx.fillText(text, x, y);
  }

  /** A centred banner across the world (countdown, "waiting for players"). */
  banner(text, sub = '') {
    const { ctx, width, height } = this;
    ctx.fillStyle = 'rgba(8, 10, 20, 0.55)';
    ctx.fillRect(0, height / 2 - 70, width, sub ? 140 : 110);
    this.label(text, width / 2, height / 2 - (sub ? 18 : 0) - 10, { size: Math.round(height / 12), weight: '800' });
    if (sub) this.label(sub, width / 2, height / 2 + 40, { size: Math.round(height / 34), colour: '#b8c0e0', weight: '500' });
  }

  dispose() {
    this.observer.disconnect();
  }
}
