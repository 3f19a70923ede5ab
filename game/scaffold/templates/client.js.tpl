// {{ title }} in the browser: how its field is drawn, and how keys, mouse and touch play it
// (game/rules/{{ name }}.py has the rules). The default export is the game's spec, which
// frontend/src/registry.js describes; the page finds this file by the game's name. Every
// word it shows people is in MESSAGES, in each language (docs/i18n.md).
import { gameText } from '../i18n.js';
import { KEYS } from '../input.js';
import { WorldCanvas, colourMap } from '../render/canvas.js';
import { drawMark } from '../render/players.js';
import { stickVector } from '../touch/gestures.js';

/** Everything the game says to people, in every language of the site: the same keys in each
 * (tests/frontend/i18n.test.mjs). `{name}` is filled in by t('key', {name}). */
export const MESSAGES = Object.freeze({
  en: {
    help: 'Move: WASD or arrow keys, or click where to go',
    touch_help: 'Move: the stick, or tap where to go',
    star: '{name} took a star ({s}).',
    // A match-over reason of the game's own (its rules' `reasons`) is worded here, in each
    // language: 'reason.all_stars': 'Every star taken',
  },
  hi: {
    help: 'चलना: WASD या तीर वाली कुंजियाँ, या जहाँ जाना हो वहाँ क्लिक करें',
    touch_help: 'चलना: स्टिक, या जहाँ जाना हो वहाँ टैप करें',
    star: '{name} ने एक तारा लिया ({s})।',
  },
});
const t = gameText('{{ name }}', MESSAGES);

// The rules' field, in px (game/rules/{{ name }}.py: WIDTH, HEIGHT, RADIUS, STAR_RADIUS).
export const FIELD = Object.freeze({ width: 800, height: 500, radius: 16, star_radius: 12 });

export class {{ Class }}Renderer extends WorldCanvas {
  constructor(canvas) {
    super(canvas, FIELD.width, FIELD.height);
  }

  /** `view`: as registry.js describes it (state, own, focus, hits, banner, now). */
  draw(view) {
    const { ctx, width, height } = this;
    ctx.fillStyle = '#101826';
    ctx.fillRect(0, 0, width, height);
    ctx.strokeStyle = '#3a4670';
    ctx.lineWidth = 4;
    ctx.strokeRect(2, 2, width - 4, height - 4);
    const entities = view.state?.e ?? {};
    if (entities.star) this.star(entities.star, view.now);
    const colours = colourMap(entities);
    for (const [id, e] of Object.entries(entities)) {
      if (colours.has(id)) this.disc(e, colours.get(id), { own: id === view.own, focus: id === view.focus, flash: view.hits?.has(id) });
    }
    if (view.banner) this.banner(view.banner.text, view.banner.sub);
  }

  star(e, now) {
    const { ctx } = this;
    const r = FIELD.star_radius * (1 + 0.1 * Math.sin(now / 150));
    ctx.fillStyle = '#ffd54f';
    ctx.beginPath();
    for (let i = 0; i < 10; i += 1) {
      const angle = -Math.PI / 2 + (i * Math.PI) / 5;
      const reach = i % 2 ? r * 0.45 : r;
      ctx.lineTo(e.x + reach * Math.cos(angle), e.y + reach * Math.sin(angle));
    }
    ctx.fill();
  }

  disc(e, colour, { own, focus, flash }) {
    const { ctx } = this;
    const r = FIELD.radius;
    ctx.fillStyle = colour;
    ctx.beginPath();
    ctx.arc(e.x, e.y, r, 0, Math.PI * 2);
    ctx.fill();
    if (own || focus || flash) {
      ctx.strokeStyle = flash ? '#ffd54f' : own ? '#ffffff' : '#b8c0e0';
      ctx.lineWidth = 3;
      ctx.stroke();
    }
    drawMark(ctx, colour, e.x, e.y, r * 1.2);
    this.label(e.n ?? '?', e.x, e.y - r - 12, { colour: own ? '#ffffff' : colour, size: 16 });
  }
}

/** Keys and mouse: WASD or arrows hold a direction; a click sends the disc to that point. */
const input = {
  keys: [...KEYS.up, ...KEYS.down, ...KEYS.left, ...KEYS.right],
  sample(c) {
    const d = { mx: c.axis(KEYS.left, KEYS.right), my: c.axis(KEYS.up, KEYS.down) };
    if (c.click) Object.assign(d, { tx: c.click.x, ty: c.click.y }); // a one-off: only in this input
    return d;
  },
};

/** Touch: a stick to move; a tap on the field sends the disc there. */
const touch = {
  pads: ['stick'],
  surface: 'aim',
  help: t('touch_help'),
  apply(d, fingers) {
    const out = { ...d };
    if (fingers.stick) {
      const push = stickVector(fingers.stick.origin, fingers.stick.point);
      out.mx = Math.max(-1, Math.min(1, (d.mx ?? 0) + push.x));
      out.my = Math.max(-1, Math.min(1, (d.my ?? 0) + push.y));
    }
    if (fingers.aim) Object.assign(out, { tx: fingers.aim.x, ty: fingers.aim.y });
    return out;
  },
};

export default Object.freeze({
  name: '{{ name }}',
  messages: MESSAGES,
  help: t('help'),
  Renderer: {{ Class }}Renderer,
  input,
  touch,
  prediction: null, // the own disc is drawn where the server says (docs/new-game.md: prediction)
  describe: (e, nameOf) => (e.type === 'star' ? t('star', { name: nameOf(e.id), s: e.s }) : null),
  flash: (e) => (e.type === 'star' ? `p${e.id}` : null),
});
