// Draws pong: the court, both paddles (the own one highlighted, at its predicted place),
// the ball, names and big scores.
import { COURT } from '../games/pong.js';
import { WorldCanvas, colourMap } from './canvas.js';
import { drawBadge } from './players.js';

export class PongRenderer extends WorldCanvas {
  constructor(canvas) {
    super(canvas, COURT.width, COURT.height);
  }

  /** `view`: as for the arena renderer (state, own, predicted, focus, banner, now). */
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
