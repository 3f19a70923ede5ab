// Draws the arena: floor, walls, pickups, bullets and players (names, HP bars, aim), the
// own player highlighted, the followed one marked, and a banner for countdowns and waits.
import { BULLET_RADIUS, MAX_HP, PICKUP_RADIUS, WORLD, bulletAt } from '../games/arena.js';
import { WorldCanvas, colourMap } from './canvas.js';
import { drawMark } from './players.js';

const R = WORLD.player_radius;

export class ArenaRenderer extends WorldCanvas {
  constructor(canvas) {
    super(canvas, WORLD.width, WORLD.height);
  }

  /**
   * `view`: {state: {g, e} | null, own: entity id | null, predicted: {x, y} | null,
   * focus: entity id | null, hits: Map of entity ids just hit, banner: {text, sub} | null, now: ms}.
   */
  draw(view) {
    const { ctx } = this;
    this.floor();
    const entities = view.state?.e ?? {};
    const colours = colourMap(entities);
    for (const [id, e] of Object.entries(entities)) {
      if (id[0] === 'c' || id[0] === 'h') this.pickup(id[0], e, view.now);
    }
    for (const [id, e] of Object.entries(entities)) {
      if (id[0] === 'b') this.bullet(bulletAt(e, view.state.g), colours.get(`p${e.o}`));
    }
    const players = Object.entries(entities).filter(([id]) => colours.has(id));
    // The own player is drawn last, on top, at its predicted position.
    players.sort(([a], [b]) => (a === view.own) - (b === view.own));
    for (const [id, e] of players) {
      const at = id === view.own && view.predicted ? { ...e, ...view.predicted } : e;
      this.player(at, colours.get(id), { own: id === view.own, focus: id === view.focus, hit: view.hits?.has(id), now: view.now });
    }
    if (view.banner) this.banner(view.banner.text, view.banner.sub);
    ctx.globalAlpha = 1;
  }

  floor() {
    const { ctx, width, height } = this;
    ctx.fillStyle = '#121726';
    ctx.fillRect(0, 0, width, height);
    ctx.strokeStyle = 'rgba(120, 140, 200, 0.07)';
    ctx.lineWidth = 1;
    ctx.beginPath();
    for (let x = 0; x <= width; x += 50) { ctx.moveTo(x, 0); ctx.lineTo(x, height); }
    for (let y = 0; y <= height; y += 50) { ctx.moveTo(0, y); ctx.lineTo(width, y); }
    ctx.stroke();
    ctx.strokeStyle = '#3a4670';
    ctx.lineWidth = 6;
    ctx.strokeRect(3, 3, width - 6, height - 6);
    for (const [x, y, w, h] of WORLD.walls) {
      ctx.fillStyle = '#2b3352';
      ctx.fillRect(x, y, w, h);
      ctx.strokeStyle = '#56618f';
      ctx.lineWidth = 2;
      ctx.strokeRect(x + 1, y + 1, w - 2, h - 2);
    }
  }

  pickup(kind, e, now) {
    const { ctx } = this;
    const pulse = 1 + 0.12 * Math.sin(now / 200);
    if (kind === 'c') {
      ctx.fillStyle = '#ffca28';
      ctx.strokeStyle = '#8d6e00';
      ctx.lineWidth = 2;
      ctx.beginPath();
      ctx.arc(e.x, e.y, PICKUP_RADIUS * 0.7 * pulse, 0, Math.PI * 2);
      ctx.fill();
      ctx.stroke();
      this.label('$', e.x, e.y + 1, { colour: '#5d4300', size: 14, weight: '900' });
    } else {
      const s = PICKUP_RADIUS * pulse;
      ctx.fillStyle = '#e8f5e9';
      ctx.fillRect(e.x - s, e.y - s, 2 * s, 2 * s);
      ctx.fillStyle = '#2e7d32';
      ctx.fillRect(e.x - s * 0.25, e.y - s * 0.75, s * 0.5, s * 1.5);
      ctx.fillRect(e.x - s * 0.75, e.y - s * 0.25, s * 1.5, s * 0.5);
    }
  }

  bullet([x, y], colour = '#fff') {
    const { ctx } = this;
    ctx.fillStyle = colour;
    ctx.shadowColor = colour;
    ctx.shadowBlur = 8;
    ctx.beginPath();
    ctx.arc(x, y, BULLET_RADIUS + 1, 0, Math.PI * 2);
    ctx.fill();
    ctx.shadowBlur = 0;
  }

  player(e, colour, { own, focus, hit, now }) {
    const { ctx } = this;
    ctx.globalAlpha = e.al === false ? 0.25 : 1;
    if (own || focus) {
      ctx.strokeStyle = own ? '#ffffff' : '#ffd54f';
      ctx.lineWidth = 3;
      ctx.setLineDash(own ? [] : [6, 5]);
      ctx.beginPath();
      ctx.arc(e.x, e.y, R + 7, 0, Math.PI * 2);
      ctx.stroke();
      ctx.setLineDash([]);
    }
    if (e.sp && e.al !== false) {
      ctx.strokeStyle = `rgba(130, 200, 255, ${0.45 + 0.25 * Math.sin(now / 90)})`;
      ctx.lineWidth = 4;
      ctx.beginPath();
      ctx.arc(e.x, e.y, R + 3, 0, Math.PI * 2);
      ctx.stroke();
    }
    const aim = e.a ?? 0;
    ctx.strokeStyle = '#dfe6ff';
    ctx.lineWidth = 8;
    ctx.lineCap = 'round';
    ctx.beginPath();
    ctx.moveTo(e.x, e.y);
    ctx.lineTo(e.x + Math.cos(aim) * (R + 16), e.y + Math.sin(aim) * (R + 16));
    ctx.stroke();
    ctx.lineCap = 'butt';
    ctx.fillStyle = hit ? '#ff5252' : colour;
    ctx.beginPath();
    ctx.arc(e.x, e.y, R, 0, Math.PI * 2);
    ctx.fill();
    ctx.strokeStyle = 'rgba(0,0,0,0.6)';
    ctx.lineWidth = 2;
    ctx.stroke();
    if (!hit) drawMark(ctx, colour, e.x, e.y, R * 1.25);
    this.label(e.al === false ? `${e.n ?? '?'} ✝` : (e.n ?? '?'), e.x, e.y - R - 30,
      { colour: own ? '#ffffff' : colour, size: 22, weight: own ? '800' : '700' });
    this.hpBar(e.x, e.y - R - 12, e.hp ?? MAX_HP);
    ctx.globalAlpha = 1;
  }

  hpBar(x, y, hp) {
    const { ctx } = this;
    const w = 56;
    const frac = Math.max(0, Math.min(1, hp / MAX_HP));
    ctx.fillStyle = 'rgba(0,0,0,0.75)';
    ctx.fillRect(x - w / 2 - 2, y - 5, w + 4, 10);
    ctx.fillStyle = frac > 0.5 ? '#66bb6a' : frac > 0.25 ? '#ffa726' : '#ef5350';
    ctx.fillRect(x - w / 2, y - 3, w * frac, 6);
  }
}
