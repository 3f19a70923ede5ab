// Pong's court and paddle step, ported from game/rules/pong.py for drawing and for
// predicting the own paddle.

export const COURT = Object.freeze({
  width: 800,
  height: 500,
  paddle_w: 12,
  paddle_h: 90,
  paddle_margin: 30,
  paddle_speed: 420,
  ball_radius: 8,
});

/** One paddle step: `my` in [-1, 1] at paddle_speed for `dt` seconds, kept on the court. */
export function movePaddle(y, my, dt, court = COURT) {
  const clamped = Math.min(1, Math.max(-1, Number.isFinite(my) ? my : 0));
  const half = court.paddle_h / 2;
  return Math.min(court.height - half, Math.max(half, y + clamped * court.paddle_speed * dt));
}

/** Prediction hooks for pong: the own paddle is entity `p<id>` with y. */
export const pongPrediction = {
  read: (entity) => (entity ? { y: entity.y } : null),
  step: (state, d, dt) => ({ y: movePaddle(state.y, d.my, dt) }),
};
