// Touch as one more source of game input, beside the keyboard and mouse (input.js): a pad of
// on-screen controls under or beside the game view, which the game's touch scheme chooses
// (`touch` in its module, registry.js), and fingers on the game view itself. Each input the
// keyboard and mouse make goes through `apply`, which folds in what the fingers say. Shown on
// touch screens to players; a keyboard or screen reader user never meets it (aria-hidden).
import { has, t } from './i18n.js';
import { STICK, TouchTracker, knobOffset } from './touch/gestures.js';
import { el } from './ui/dom.js';

/** True on a device whose main pointer is a finger. */
export function touchScreen(win = window) {
  return Boolean(win.matchMedia?.('(pointer: coarse)').matches);
}

export class TouchControls {
  /**
   * `scheme`: the game's touch scheme; `surface`: the game's canvas; `host`: where the pad goes
   * (the stage's column); `toWorld(clientX, clientY)`: a point in world units; `own()`: the own
   * entity as drawn, or null; `onShow()`: called when the pad shows up after a first touch.
   */
  constructor({ scheme, surface, host, toWorld, own, onShow = () => {}, win = window }) {
    Object.assign(this, { scheme, surface, toWorld, own, onShow, win });
    this.tracker = new TouchTracker();
    this.roles = new Map(); // pointer id -> {role, world: whether its points are in world units}
    this.player = false;
    this.touched = touchScreen(win);
    this.pad = this.buildPad();
    host.append(this.pad);
    const down = (e) => this.onDown(e);
    const move = (e) => this.onMove(e);
    const up = (e) => this.onUp(e);
    const still = (e) => { if (this.visible) e.preventDefault(); }; // no scrolling, zooming or mouse echoes
    this.listeners = [
      [this.pad, 'pointerdown', down], [surface, 'pointerdown', down],
      ...[this.pad, surface].flatMap((target) => [[target, 'pointermove', move], [target, 'pointerup', up],
        [target, 'pointercancel', up], [target, 'lostpointercapture', up], [target, 'touchstart', still]]),
      [win, 'pointerdown', (e) => this.noticeTouch(e)],
    ];
    for (const [target, type, fn] of this.listeners) target.addEventListener(type, fn, { passive: type === 'pointermove' });
    this.refresh();
  }

  buildPad() {
    const pads = this.scheme.pads.map((role, i) => {
      const pad = el('div', { className: `touch-control touch-${role}`, dataset: { role, side: i ? 'right' : 'left' } });
      if (role === 'stick') pad.append(el('span', { className: 'touch-knob' }));
      pad.append(el('span', { className: 'touch-label', textContent: has(`touch.${role}`) ? t(`touch.${role}`) : role }));
      return pad;
    });
    const pad = el('div', { id: 'touch-pad', className: 'touch-pad', hidden: true }, ...pads);
    pad.setAttribute('aria-hidden', 'true'); // keys play the game too; the pad is for fingers only
    return pad;
  }

  /** Whether the person plays (a player, not a spectator): only then do touches make inputs. */
  setPlayer(player) {
    this.player = player;
    this.refresh();
  }

  get visible() {
    return this.player && this.touched;
  }

  refresh() {
    this.pad.hidden = !this.visible;
    this.surface.ownerDocument.body.classList.toggle('touch-play', this.visible);
    if (!this.visible) this.release();
  }

  /** A first touch on a device that did not say it had a touch screen shows the pad. */
  noticeTouch(event) {
    if (this.touched || event.pointerType !== 'touch') return;
    this.touched = true;
    this.refresh();
    if (this.visible) this.onShow();
  }

  /** The input `d` with the fingers folded in; `view`: {own, dt} as registry.js describes. */
  apply(d, view) {
    return this.visible ? this.scheme.apply(d, this.tracker.read(), view) : d;
  }

  onDown(event) {
    if (!this.visible || this.roles.has(event.pointerId)) return;
    const control = event.target.closest?.('[data-role]');
    if (event.currentTarget === this.surface && event.pointerType === 'mouse') return; // input.js has the mouse
    const role = event.currentTarget === this.surface ? this.scheme.surface : control?.dataset.role;
    if (!role) return;
    event.preventDefault();
    event.currentTarget.setPointerCapture?.(event.pointerId);
    const world = role === 'aim' || role === 'drag';
    this.roles.set(event.pointerId, { role, world, control });
    const at = this.point(event, world, role === 'stick' ? control : null);
    this.tracker.down(event.pointerId, role, at.origin, role === 'drag' ? this.own() : null);
    this.tracker.move(event.pointerId, at.point);
    control?.classList.add('active');
    this.drawKnob(event.pointerId);
  }

  onMove(event) {
    const held = this.roles.get(event.pointerId);
    if (!held) return;
    this.tracker.move(event.pointerId, this.point(event, held.world).point);
    this.drawKnob(event.pointerId);
  }

  onUp(event) {
    const held = this.roles.get(event.pointerId);
    if (!held) return;
    this.roles.delete(event.pointerId);
    this.tracker.up(event.pointerId);
    held.control?.classList.remove('active');
    if (held.role === 'stick') held.control.style.setProperty('--knob', 'translate(0px, 0px)');
  }

  /** Where a finger is: in world units, or in screen pixels from the stick's centre as origin. */
  point(event, world, stick = null) {
    if (world) {
      const at = this.toWorld(event.clientX, event.clientY);
      return { origin: at, point: at };
    }
    const point = { x: event.clientX, y: event.clientY };
    if (!stick) return { origin: point, point };
    const box = stick.getBoundingClientRect();
    return { origin: { x: box.left + box.width / 2, y: box.top + box.height / 2 }, point };
  }

  drawKnob(pointerId) {
    const held = this.roles.get(pointerId);
    const finger = this.tracker.fingers.get(pointerId);
    if (held?.role !== 'stick' || !finger) return;
    const { x, y } = knobOffset(finger.origin, finger.point, STICK.radius);
    held.control.style.setProperty('--knob', `translate(${x}px, ${y}px)`);
  }

  /** Lift every finger (the pad hid, the match ended). */
  release() {
    for (const { control, role } of this.roles.values()) {
      control?.classList.remove('active');
      if (role === 'stick') control.style.setProperty('--knob', 'translate(0px, 0px)');
    }
    this.roles.clear();
    this.tracker.clear();
  }

  dispose() {
    for (const [target, type, fn] of this.listeners) target.removeEventListener(type, fn);
    this.release();
    this.surface.ownerDocument.body.classList.remove('touch-play');
    this.pad.remove();
  }
}
