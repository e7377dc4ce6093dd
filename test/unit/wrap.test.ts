import { test } from 'node:test';
import assert from 'node:assert/strict';
import { wrapWords } from '../../src/text/wrap.js';

test('words fill lines up to the width, never past it, and keep their order', () => {
  const text = 'Stops the static pod, starts the build under Delve with the same flags and puts everything back';
  const lines = wrapWords(text, 30);
  assert.ok(lines.every((l) => l.length <= 30), lines.join('|'));
  assert.equal(lines.join(' '), text);
  assert.deepEqual(lines.slice(0, 2), ['Stops the static pod, starts', 'the build under Delve with the']);
});

test('a word longer than the width keeps a line of its own; each line of the text starts a new one', () => {
  assert.deepEqual(wrapWords('see /etc/kubernetes/manifests/kube-apiserver.yaml now\nnext  para', 20), [
    'see',
    '/etc/kubernetes/manifests/kube-apiserver.yaml',
    'now',
    'next para',
  ]);
});

test('characters, not UTF-16 units, are counted', () => {
  assert.deepEqual(wrapWords('😀😀 😀😀', 5), ['😀😀 😀😀']);
});
