// Client-side prediction and server reconciliation by input_seq (Gambetta).
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { prediction as arenaPrediction, move } from '../../frontend/src/games/arena.js';
import { prediction as pongPrediction } from '../../frontend/src/games/pong.js';
import { Predictor } from '../../frontend/src/prediction.js';

const right = { mx: 1, my: 0, aim: 0, fire: false };
const DT = 0.05; // 20 Hz: 13 px per input at 260 px/s

function near(actual, expected, what = '') {
  assert.ok(Math.abs(actual - expected) < 1e-9, `${what} ${actual} != ${expected}`);
}

test('inputs move the own player at once, before the server answers', () => {
  const p = new Predictor(arenaPrediction);
  p.reconcile({ x: 400, y: 300, al: true }, -1);
  p.applyInput(0, right, DT);
  p.applyInput(1, right, DT);
  near(p.state.x, 426, 'x');
  near(p.state.y, 300, 'y');
});

test('a server state resets to the server and replays only the inputs after last_processed_input', () => {
  const p = new Predictor(arenaPrediction);
  p.reconcile({ x: 400, y: 300 }, -1);
  for (let inputSeq = 0; inputSeq < 5; inputSeq += 1) p.applyInput(inputSeq, right, DT);
  near(p.state.x, 465);
  // The server applied inputSeq 0 and 1: it is at 426; 2, 3 and 4 are replayed on top.
  p.reconcile({ x: 426, y: 300 }, 1);
  assert.deepEqual(p.pending.map((i) => i.inputSeq), [2, 3, 4]);
  near(p.state.x, 465);
  // The server disagrees (it was blocked): prediction follows the server, plus the replay.
  p.reconcile({ x: 420, y: 300 }, 2);
  assert.deepEqual(p.pending.map((i) => i.inputSeq), [3, 4]);
  near(p.state.x, 446);
  p.reconcile({ x: 446, y: 300 }, 4);
  assert.deepEqual(p.pending, []);
  near(p.state.x, 446);
});

test('replay uses the same move() as the server, walls included', () => {
  const p = new Predictor(arenaPrediction);
  p.reconcile({ x: 680, y: 450 }, 10);
  for (let inputSeq = 11; inputSeq < 21; inputSeq += 1) p.applyInput(inputSeq, right, DT);
  let [x, y] = [680, 450];
  for (let i = 0; i < 10; i += 1) [x, y] = move(x, y, 1, 0, DT);
  near(p.state.x, x);
  near(p.state.x, 740 - 18, 'stopped by the centre block');
  near(p.state.y, y);
});

test('an old last_processed_input never brings back acknowledged inputs', () => {
  const p = new Predictor(arenaPrediction);
  p.reconcile({ x: 100, y: 100 }, -1);
  p.applyInput(0, right, DT);
  p.applyInput(1, right, DT);
  p.reconcile({ x: 126, y: 100 }, 1);
  p.reconcile({ x: 126, y: 100 }, undefined); // a frame without our last_processed_input (we just joined)
  assert.deepEqual(p.pending, []);
});

test('a dead player is not predicted', () => {
  const p = new Predictor(arenaPrediction);
  p.reconcile({ x: 100, y: 100, al: false }, -1);
  p.applyInput(0, right, DT);
  assert.equal(p.state, null);
  p.reconcile(undefined, 0);
  assert.equal(p.state, null);
});

test('pending inputs are capped when the server stops acknowledging', () => {
  const p = new Predictor({ ...arenaPrediction, maxPending: 3 });
  for (let inputSeq = 0; inputSeq < 10; inputSeq += 1) p.applyInput(inputSeq, right, DT);
  assert.deepEqual(p.pending.map((i) => i.inputSeq), [7, 8, 9]);
});

test('inputs are clamped like the server does before replay', () => {
  const p = new Predictor(arenaPrediction);
  p.reconcile({ x: 400, y: 300 }, -1);
  p.applyInput(0, { mx: 5, my: 0 }, DT);
  near(p.state.x, 413);
});

test('pong predicts the own paddle, kept on the court', () => {
  const p = new Predictor(pongPrediction);
  p.reconcile({ y: 250, side: 0 }, -1);
  p.applyInput(0, { my: 1 }, 0.05);
  near(p.state.y, 271);
  for (let inputSeq = 1; inputSeq < 40; inputSeq += 1) p.applyInput(inputSeq, { my: 1 }, 0.05);
  near(p.state.y, 500 - 45);
  p.reconcile({ y: 271 }, 0);
  assert.equal(p.pending.length, 39);
  near(p.state.y, 455);
});

test('the own player glides between inputs instead of jumping a whole step', () => {
  const p = new Predictor(arenaPrediction);
  p.reconcile({ x: 400, y: 300 }, -1);
  assert.equal(p.view(0).x, 400, 'no input yet: the server position');
  p.applyInput(0, right, DT, 1000);
  near(p.view(1000).x, 400, 'just sent');
  near(p.view(1025).x, 406.5, 'half way through the input');
  near(p.view(1050).x, 413, 'input done');
  near(p.view(5000).x, 413, 'never ahead of the inputs');
  p.applyInput(1, right, DT, 1050);
  near(p.view(1075).x, 419.5);
  // A server state mid-way keeps the glide of the newest input.
  p.reconcile({ x: 413, y: 300 }, 0);
  near(p.view(1075).x, 419.5);
  // Once the newest input is acknowledged there is nothing left to glide over.
  p.reconcile({ x: 426, y: 300 }, 1);
  near(p.view(1075).x, 426);
});
