import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileCondition } from '../../src/template/index.js';

const ctx = {
  mode: 'static-pod',
  enabled: true,
  disabled: false,
  zero: 0,
  count: 3,
  empty: '',
  none: null,
  list: ['a'],
  emptyList: [],
  map: {},
  flags: { rc: 0, stdout: 'ok' },
};

test('helper expressions', () => {
  assert.equal(compileCondition('(eq mode "static-pod")').evaluate(ctx), true);
  assert.equal(compileCondition('(eq mode "systemd")').evaluate(ctx), false);
  assert.equal(compileCondition('(ne mode "systemd")').evaluate(ctx), true);
  assert.equal(compileCondition('(and enabled (not disabled))').evaluate(ctx), true);
  assert.equal(compileCondition('(or disabled (gt count 2))').evaluate(ctx), true);
  assert.equal(compileCondition('(eq flags.rc 0)').evaluate(ctx), true);
});

test('plain variables use the truthiness of Handlebars #if', () => {
  const cases: [string, boolean][] = [
    ['enabled', true],
    ['disabled', false],
    ['zero', false],
    ['count', true],
    ['empty', false],
    ['none', false],
    ['list', true],
    ['emptyList', false],
    ['map', true],
    ['flags.rc', false],
    ['flags.stdout', true],
  ];
  for (const [expr, expected] of cases) assert.equal(compileCondition(expr).evaluate(ctx), expected, expr);
});

test('literals', () => {
  assert.equal(compileCondition('true').evaluate({}), true);
  assert.equal(compileCondition('false').evaluate({}), false);
  assert.equal(compileCondition('"yes"').evaluate({}), true);
});

test('a bare helper call without parentheses reads as one call', () => {
  assert.equal(compileCondition('eq mode "static-pod"').evaluate(ctx), true);
  assert.equal(compileCondition('not enabled').evaluate(ctx), false);
});

test('default makes a condition tolerate a missing variable', () => {
  assert.equal(compileCondition('(default dryRun false)').evaluate({}), false);
  assert.equal(compileCondition('(default dryRun false)').evaluate({ dryRun: true }), true);
});

test('a condition compiles once and evaluates against many contexts', () => {
  const c = compileCondition('(eq role "control-plane")');
  assert.equal(c.source, '(eq role "control-plane")');
  let yes = 0;
  for (let i = 0; i < 1000; i++) if (c.evaluate({ role: i % 4 === 0 ? 'control-plane' : 'worker' }) === true) yes++;
  assert.equal(yes, 250);
});

test('condition references are positioned inside the expression', () => {
  assert.deepEqual(
    compileCondition('(and enabled (eq host.role "x"))').references.map((r) => [r.path.join('.'), r.line, r.col]),
    [
      ['enabled', 1, 6],
      ['host.role', 1, 18],
    ],
  );
  assert.deepEqual(
    compileCondition('(or a\n  b)').references.map((r) => [r.root, r.line, r.col]),
    [
      ['a', 1, 5],
      ['b', 2, 3],
    ],
  );
});
