// writeJson writes what toJson gives, in pieces: the bytes must be the same for every shape a
// command prints, and each piece whole JSON values so that masking a secret piece by piece works.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { JsonText, toJson, writeJson } from '../../src/commands/io.js';

function pieces(value: unknown, isTTY = false): string[] {
  const out: string[] = [];
  writeJson(value, { isTTY, out: (s) => out.push(s) });
  return out;
}

const shapes: [string, unknown][] = [
  ['a plan-like object', { planVersion: 2, playbook: { name: 'p', file: '/x.yaml' }, batches: [['h0', 'h1']], hosts: [{ name: 'h0', steps: [{ id: '1' }] }, { name: 'h1', steps: [] }] }],
  ['members JSON leaves out', { a: undefined, b: () => 1, c: 1, d: [undefined, () => 2, 3], e: null }],
  ['an empty object', {}],
  ['only left-out members', { a: undefined }],
  ['empty and nested lists', { a: [], b: [[1, [2]], { c: [3] }] }],
  ['strings that need escaping', { 'k"ey': 'line\nbreak "quoted" \\ \u2028 é' }],
  ['a list at the top', [1, { a: 2 }]],
  ['a string at the top', 'text'],
  ['a value with toJSON', { toJSON: () => ({ shown: true }) }],
  ['a date member', { when: new Date(0) }],
  ['JsonText items and members', { hosts: [new JsonText('{"name":"h0","steps":[{"id":"1","args":{"cmd":"a \\"b\\""}}]}'), new JsonText('[]')], one: new JsonText('{"x":[1,2]}') }],
  ['a JsonText at the top', new JsonText('{"a":[1,{"b":null}]}')],
];

for (const [what, value] of shapes) {
  test(`writeJson gives the same bytes as toJson: ${what}`, () => {
    assert.equal(pieces(value).join(''), toJson(value, { isTTY: false }));
    assert.equal(pieces(value, true).join(''), toJson(value, { isTTY: true }));
  });
}

test('writeJson sends a large list item by item, never as one piece', () => {
  const hosts = Array.from({ length: 500 }, (_, i) => ({ name: `h${i}`, steps: [{ id: '1', args: { cmd: 'x'.repeat(100) } }] }));
  const out = pieces({ planVersion: 2, hosts });
  assert.ok(out.length > 500, `${out.length} pieces`);
  assert.ok(Math.max(...out.map((s) => s.length)) < 200, 'no piece holds more than one host');
  // Each host's JSON is within one piece: a secret in it cannot be cut in two.
  for (let i = 0; i < 500; i++) assert.ok(out.some((s) => s.includes(`"name":"h${i}"`) && s.includes('x'.repeat(100))));
});

test('writeJson writes a JsonText as its text, which is not parsed again', () => {
  // Spacing that JSON.stringify would not write shows that the text goes out as it is.
  const out = pieces({ hosts: [new JsonText('{ "b": 1, "a": 2 }')] });
  assert.deepEqual(out, ['{"hosts":[', '{ "b": 1, "a": 2 }', ']', '}\n']);
  assert.equal(JSON.stringify({ h: new JsonText('{"b":1}') }), '{"h":{"b":1}}', 'other JSON writers read it back as its value');
});
