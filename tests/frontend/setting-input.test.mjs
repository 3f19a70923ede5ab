// The settings forms take their bounds from GET /api/games, as the server enforces them.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { settingInputProps, settingValue } from '../../frontend/src/ui/setting-input.js';

test('an integer setting gets its published min, max and a step of 1', () => {
  assert.deepEqual(settingInputProps({ type: 'int', default: 10, min: 1, max: 3600 }, 10),
    { type: 'number', step: '1', min: '1', max: '3600' });
});

test('a float setting steps freely and a bool is a checkbox', () => {
  assert.deepEqual(settingInputProps({ type: 'float', default: 0.5, min: 0, max: 2 }, 0.5),
    { type: 'number', step: 'any', min: '0', max: '2' });
  assert.deepEqual(settingInputProps({ type: 'bool', default: false }, true), { type: 'checkbox' });
});

test('without a published spec the value decides, as before', () => {
  assert.deepEqual(settingInputProps(undefined, 5), { type: 'number', step: '1', min: '1' });
  assert.deepEqual(settingInputProps(undefined, true), { type: 'checkbox' });
});

test('values are sent typed: integers rounded, floats as typed, booleans from the box', () => {
  assert.equal(settingValue({ type: 'int' }, { type: 'number', value: '2.6' }), 3);
  assert.equal(settingValue({ type: 'float' }, { type: 'number', value: '2.5' }), 2.5);
  assert.equal(settingValue(undefined, { type: 'number', value: '7' }), 7);
  assert.equal(settingValue({ type: 'bool' }, { type: 'checkbox', checked: true }), true);
});
