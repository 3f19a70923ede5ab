// How touches play each game: which pads the touch layout shows (left, right), what a finger on
// the game view does, the help line, and `apply(d, fingers, view)`, which folds what the fingers
// say (TouchTracker.read) into the input the keyboard and mouse made. Pure.
// `view`: {own: the own entity as drawn (predicted) or null, dt: seconds per input}.
import { COURT } from '../games/pong.js';
import { aimAngle, paddleAxis, stickVector } from './gestures.js';

const clampUnit = (v) => Math.max(-1, Math.min(1, v));

/** Arena: a stick to move; a finger on the arena aims there and fires; the Fire pad fires. */
export const arenaTouch = Object.freeze({
  pads: Object.freeze(['stick', 'fire']),
  surface: 'aim',
  help: 'Move: the stick · Aim and fire: tap or hold on the arena, or hold Fire',
  apply(d, fingers, { own }) {
    const out = { ...d };
    const push = fingers.stick ? stickVector(fingers.stick.origin, fingers.stick.point) : { x: 0, y: 0 };
    out.mx = clampUnit((d.mx ?? 0) + push.x);
    out.my = clampUnit((d.my ?? 0) + push.y);
    // Fire without a point to aim at shoots where the stick walks, or where the last shot went.
    const walking = push.x !== 0 || push.y !== 0 ? Math.atan2(push.y, push.x) : null;
    const aim = aimAngle(own, fingers.aim) ?? (fingers.fire ? walking : null);
    if (aim !== null) out.aim = aim;
    out.fire = Boolean(d.fire || fingers.fire || fingers.aim || fingers.shot);
    return out;
  },
});

/** Pong: drag up or down anywhere on the court or the pads; the paddle follows the finger. */
export const pongTouch = Object.freeze({
  pads: Object.freeze(['drag', 'drag']),
  surface: 'drag',
  help: 'Drag up or down, on the court or a pad, to move your paddle',
  apply(d, fingers, { own, dt }) {
    const drag = fingers.drag;
    if (!drag || !own) return d;
    const half = COURT.paddle_h / 2;
    const from = drag.anchor?.y ?? drag.origin.y;
    const target = Math.min(COURT.height - half, Math.max(half, from + drag.point.y - drag.origin.y));
    return { ...d, my: paddleAxis(target, own.y, COURT.paddle_speed * dt) };
  },
});
