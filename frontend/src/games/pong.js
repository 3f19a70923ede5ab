// Pong in the browser: its court and paddle step (ported from game/rules/pong.py for drawing and
// for predicting the own paddle), its renderer, and how keys and touch play it. The default
// export is the game's spec (registry.js); its words, in every language, are MESSAGES.
import { gameText } from '../i18n.js';
import { KEYS } from '../input.js';
import { WorldCanvas, colourMap } from '../render/canvas.js';
import { drawBadge } from '../render/players.js';
import { paddleAxis } from '../touch/gestures.js';

export const COURT = Object.freeze({
  width: 800,
  height: 500,
  paddle_w: 12,
  paddle_h: 90,
  paddle_margin: 30,
  paddle_speed: 420,
  ball_radius: 8,
});

/** Everything pong says to people, in each language (docs/i18n.md). */
export const MESSAGES = Object.freeze({
  en: {
    help: 'Move your paddle: W/S or ↑/↓',
    touch_help: 'Drag up or down, on the court or a pad, to move your paddle',
    point: 'Point for {name}.',
  },
  hi: {
    help: 'अपना पैडल चलाएँ: W/S या ↑/↓',
    touch_help: 'पैडल चलाने के लिए कोर्ट या पैड पर उँगली ऊपर-नीचे खींचें',
    point: '{name} को एक अंक मिला।',
  },
});
const t = gameText('pong', MESSAGES);

/** One paddle step: `my` in [-1, 1] at paddle_speed for `dt` seconds, kept on the court. */
export function movePaddle(y, my, dt, court = COURT) {
  const clamped = Math.min(1, Math.max(-1, Number.isFinite(my) ? my : 0));
  const half = court.paddle_h / 2;
  return Math.min(court.height - half, Math.max(half, y + clamped * court.paddle_speed * dt));
}

// -- drawing -------------------------------------------------------------------------------
// The court, both paddles (the own one highlighted, at its predicted place), the ball, names
// and big scores.

export class PongRenderer extends WorldCanvas {
  constructor(canvas) {
    super(canvas, COURT.width, COURT.height);
  }

  /** `view`: as registry.js describes it (state, own, predicted, focus, banner, now). */
  draw(view) {
    this.court();
    const entities = view.state?.e ?? {};
    const colours = colourMap(entities);
    for (const [id, e] of Object.entries(entities)) {
      if (!colours.has(id)) continue;
      const at = id === view.own && view.predicted ? { ...e, ...view.predicted } : e;
      this.paddle(at, colours.get(id), id === view.own || id === view.focus);
    }
    if (entities.ball) this.ball(entities.ball);
    if (view.banner) this.banner(view.banner.text, view.banner.sub);
  }

  court() {
    const { ctx, width, height } = this;
    ctx.fillStyle = '#0f1424';
    ctx.fillRect(0, 0, width, height);
    ctx.strokeStyle = 'rgba(200, 210, 255, 0.25)';
    ctx.lineWidth = 4;
    ctx.setLineDash([14, 14]);
    ctx.beginPath();
    ctx.moveTo(width / 2, 0);
    ctx.lineTo(width / 2, height);
    ctx.stroke();
    ctx.setLineDash([]);
    ctx.strokeStyle = '#3a4670';
    ctx.strokeRect(2, 2, width - 4, height - 4);
  }

  paddle(e, colour, highlight) {
    const { ctx, width } = this;
    const { paddle_w: w, paddle_h: h, paddle_margin: m } = COURT;
    const x = e.side === 0 ? m : width - m - w;
    if (highlight) {
      ctx.shadowColor = '#ffffff';
      ctx.shadowBlur = 16;
    }
    ctx.fillStyle = colour;
    ctx.fillRect(x, e.y - h / 2, w, h);
    ctx.shadowBlur = 0;
    if (highlight) {
      ctx.strokeStyle = '#ffffff';
      ctx.lineWidth = 2;
      ctx.strokeRect(x - 3, e.y - h / 2 - 3, w + 6, h + 6);
    }
    const quarter = e.side === 0 ? width / 4 : (3 * width) / 4;
    drawBadge(this.ctx, colour, quarter - 52, 60, 15);
    this.label(String(e.s ?? 0), quarter, 60, { size: 56, weight: '800', colour });
    this.label(e.n ?? '?', quarter, 105, { size: 18, colour: highlight ? '#ffffff' : '#c5cae9' });
  }

  ball(e) {
    const { ctx } = this;
    ctx.fillStyle = '#ffffff';
    ctx.shadowColor = '#9fd3ff';
    ctx.shadowBlur = 12;
    ctx.beginPath();
    ctx.arc(e.x, e.y, COURT.ball_radius, 0, Math.PI * 2);
    ctx.fill();
    ctx.shadowBlur = 0;
  }
}

/** Touch: drag up or down anywhere on the court or the pads; the paddle follows the finger. */
export const touch = Object.freeze({
  pads: Object.freeze(['drag', 'drag']),
  surface: 'drag',
  help: t('touch_help'),
  apply(d, fingers, { own, dt }) {
    const drag = fingers.drag;
    if (!drag || !own) return d;
    const half = COURT.paddle_h / 2;
    const from = drag.anchor?.y ?? drag.origin.y;
    const target = Math.min(COURT.height - half, Math.max(half, from + drag.point.y - drag.origin.y));
    return { ...d, my: paddleAxis(target, own.y, COURT.paddle_speed * dt) };
  },
});

/** Prediction: the own paddle is entity `p<id>` with y. */
export const prediction = Object.freeze({
  read: (entity) => (entity ? { y: entity.y } : null),
  step: (state, d, dt) => ({ y: movePaddle(state.y, d.my, dt) }),
});

export default Object.freeze({
  name: 'pong',
  messages: MESSAGES,
  help: t('help'),
  Renderer: PongRenderer,
  input: { keys: [...KEYS.up, ...KEYS.down], sample: (c) => ({ my: c.axis(KEYS.up, KEYS.down) }) },
  touch,
  prediction,
  describe: (e, nameOf) => (e.type === 'point' ? t('point', { name: nameOf(e.id) }) : null),
});
