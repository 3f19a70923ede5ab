// Players told apart without colour alone (frontend/src/render/players.js): the palette stays
// distinct under simulated colour blindness, each colour has its own mark, and the mark reads
// on its colour.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { PLAYER_COLOURS, PLAYER_MARKS, contrast, inkFor, luminance, markFor } from '../../frontend/src/render/players.js';

// Machado, Oliveira and Fernandes (2009), severity 1, applied to linear RGB.
const VISION = {
  typical: [[1, 0, 0], [0, 1, 0], [0, 0, 1]],
  protanopia: [[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216], [-0.003882, -0.048116, 1.051998]],
  deuteranopia: [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413], [-0.01182, 0.04294, 0.968881]],
  tritanopia: [[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602], [0.004733, 0.691367, 0.3039]],
};
const FLOOR = '#121726'; // the arena's floor (render/arena.js)

function linear(colour) {
  return [1, 3, 5].map((i) => {
    const c = Number.parseInt(colour.slice(i, i + 2), 16) / 255;
    return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
}

/** CIELAB (D65) of a linear RGB colour. */
function lab([r, g, b]) {
  const x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047;
  const y = 0.2126 * r + 0.7152 * g + 0.0722 * b;
  const z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883;
  const f = (t) => (t > 216 / 24389 ? Math.cbrt(t) : (24389 / 27 * t + 16) / 116);
  return [116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))];
}

function seen(colour, matrix) {
  const c = linear(colour);
  return lab(matrix.map((row) => Math.min(1, Math.max(0, row[0] * c[0] + row[1] * c[1] + row[2] * c[2]))));
}

test('every pair of player colours stays apart for typical, protan, deutan and tritan eyes', () => {
  for (const [vision, matrix] of Object.entries(VISION)) {
    for (let i = 0; i < PLAYER_COLOURS.length; i += 1) {
      for (let j = i + 1; j < PLAYER_COLOURS.length; j += 1) {
        const [a, b] = [seen(PLAYER_COLOURS[i], matrix), seen(PLAYER_COLOURS[j], matrix)];
        const distance = Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);
        // ΔE*ab 15: clearly different side by side (2.3 is a just-noticeable difference).
        assert.ok(distance >= 15, `${vision}: ${PLAYER_COLOURS[i]} and ${PLAYER_COLOURS[j]} are ${distance.toFixed(1)} apart`);
      }
    }
  }
});

test('the first two players, the usual pair, differ most', () => {
  for (const [vision, matrix] of Object.entries(VISION)) {
    const [a, b] = PLAYER_COLOURS.slice(0, 2).map((c) => seen(c, matrix));
    assert.ok(Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]) >= 60, vision);
  }
});

test('each colour has its own mark, and unknown colours a question mark', () => {
  assert.equal(new Set(PLAYER_COLOURS).size, PLAYER_COLOURS.length);
  assert.equal(new Set(PLAYER_MARKS).size, PLAYER_COLOURS.length);
  assert.deepEqual(PLAYER_COLOURS.map(markFor), PLAYER_MARKS);
  assert.equal(markFor('#123456'), '?');
});

test('each mark reads on its colour (4.5:1) and each colour shows on the floor (3:1)', () => {
  for (const colour of PLAYER_COLOURS) {
    assert.ok(contrast(colour, inkFor(colour)) >= 4.5, `${markFor(colour)} on ${colour}`);
    assert.ok(contrast(colour, FLOOR) >= 3, `${colour} on the floor`);
  }
});

test('luminance and contrast follow WCAG', () => {
  assert.equal(luminance('#000000'), 0);
  assert.equal(luminance('#ffffff'), 1);
  assert.equal(contrast('#000000', '#ffffff'), 21);
  assert.equal(contrast('#777777', '#777777'), 1);
});
