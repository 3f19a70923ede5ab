// The geometry of touch controls, pure: the virtual stick's vector, the paddle drag's axis,
// and which finger does what. Points are {x, y}; the stick works in screen pixels (where the
// finger is), aiming and dragging in world units (what the finger points at).

export const STICK = Object.freeze({ radius: 56, deadZone: 0.15 });

/**
 * The stick's direction for a finger at `point` that went down at `origin`: {x, y} of length
 * 0 inside the dead zone, 1 at `radius` and beyond, and rising evenly between, so a small
 * push walks and a full one runs.
 */
export function stickVector(origin, point, { radius, deadZone } = STICK) {
  const dx = point.x - origin.x;
  const dy = point.y - origin.y;
  const distance = Math.hypot(dx, dy);
  if (distance <= radius * deadZone) return { x: 0, y: 0 };
  const length = (Math.min(1, distance / radius) - deadZone) / (1 - deadZone);
  return { x: (dx / distance) * length, y: (dy / distance) * length };
}

/** Where the stick's knob is drawn, relative to its origin: under the finger, kept within `radius`. */
export function knobOffset(origin, point, radius = STICK.radius) {
  const dx = point.x - origin.x;
  const dy = point.y - origin.y;
  const distance = Math.hypot(dx, dy);
  if (distance <= radius) return { x: dx, y: dy };
  return { x: (dx / distance) * radius, y: (dy / distance) * radius };
}

/** The angle (radians, 0 along +x, y down) from `from` to `to`; null without both or when they coincide. */
export function aimAngle(from, to) {
  if (!from || !to || (from.x === to.x && from.y === to.y)) return null;
  return Math.atan2(to.y - from.y, to.x - from.x);
}

/**
 * The paddle's axis (`my`, -1..1) that brings it from `y` to `target` within one input, where
 * a full axis moves it `stepPx`: proportional, so it stops on the finger instead of shaking.
 */
export function paddleAxis(target, y, stepPx) {
  if (!(stepPx > 0) || !Number.isFinite(target) || !Number.isFinite(y)) return 0;
  const axis = (target - y) / stepPx;
  if (Math.abs(axis) < 0.01) return 0;
  return Math.max(-1, Math.min(1, axis));
}

/**
 * The fingers on the controls, by pointer id, each with a role: `stick` (moves), `fire` (the
 * fire button), `aim` (a finger on the game view: points there) or `drag` (drags something along).
 * A press shorter than one input still fires once: `read` reports `shot` until it is read.
 */
export class TouchTracker {
  constructor() {
    this.fingers = new Map();
    this.shot = false;
    this.released = null; // where an aiming finger was lifted, until read: a tap aims too
  }

  /** A finger down on `role` at `point`; `anchor` is what it drags from (the own paddle then). */
  down(id, role, point, anchor = null) {
    this.fingers.set(id, { role, origin: point, point, anchor });
    if (role === 'fire' || role === 'aim') this.shot = true;
  }

  move(id, point) {
    const finger = this.fingers.get(id);
    if (finger) finger.point = point;
  }

  up(id) {
    const finger = this.fingers.get(id);
    if (finger?.role === 'aim') this.released = finger.point;
    this.fingers.delete(id);
  }

  clear() {
    this.fingers.clear();
    this.shot = false;
    this.released = null;
  }

  /** The newest finger in `role`, or null. */
  finger(role) {
    let found = null;
    for (const finger of this.fingers.values()) if (finger.role === role) found = finger;
    return found;
  }

  /**
   * What the fingers say now: {stick, fire, aim, drag, shot}, `aim` being the point an aiming
   * finger is on (or was lifted from since the last read). Reading consumes `shot` and that point.
   */
  read() {
    const out = { stick: this.finger('stick'), fire: Boolean(this.finger('fire')),
      aim: this.finger('aim')?.point ?? this.released, drag: this.finger('drag'), shot: this.shot };
    this.shot = false;
    this.released = null;
    return out;
  }
}
