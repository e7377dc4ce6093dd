import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileTemplate, type VarReference } from '../../src/template/index.js';

// [line, col] (1-based) of the n-th occurrence of `needle`, computed independently of the engine.
function at(source: string, needle: string, n = 1): [number, number] {
  let i = -1;
  for (let k = 0; k < n; k++) i = source.indexOf(needle, i + 1);
  assert.ok(i >= 0, `${needle} not in ${source}`);
  const before = source.slice(0, i);
  return [before.split('\n').length, i - before.lastIndexOf('\n')];
}

function refs(source: string): [string, number, number, boolean][] {
  return compileTemplate(source, 'shell').references.map((r: VarReference) => [r.path.join('.'), r.line, r.col, r.optional ?? false]);
}

test('every variable read, with 1-based positions', () => {
  const source = 'ssh {{host.name}} -p {{port}}\n  {{{raw}}}';
  assert.deepEqual(at(source, 'raw'), [2, 6]);
  assert.deepEqual(refs(source), [
    ['host.name', 1, 7, false],
    ['port', ...at(source, 'port'), false],
    ['raw', 2, 6, false],
  ]);
});

test('root and path of a reference', () => {
  const [r] = compileTemplate('{{a.b.c}}', 'shell').references;
  assert.deepEqual(r, { root: 'a', path: ['a', 'b', 'c'], line: 1, col: 3, optional: false });
});

test('helper arguments and sub-expressions count, helper names do not', () => {
  const source = '{{join (concat a b) sep}} {{quote c}}';
  assert.deepEqual(refs(source), [
    ['a', ...at(source, 'a b'), false],
    ['b', ...at(source, 'b)'), false],
    ['sep', ...at(source, 'sep'), false],
    ['c', ...at(source, 'c}}'), false],
  ]);
});

test('the first argument of default is optional', () => {
  assert.deepEqual(refs('{{default extra fallback}}'), [
    ['extra', 1, 11, true],
    ['fallback', 1, 17, false],
  ]);
});

test('block parameters, hash values and {{else}} of #each count; the #each body does not', () => {
  const source = '{{#if on includeZero=z}}{{x}}{{/if}}{{#each items}}{{name}}{{../port}}{{@index}}{{else}}{{none}}{{/each}}';
  assert.deepEqual(refs(source), [
    ['on', ...at(source, 'on'), false],
    ['z', ...at(source, 'z}}'), false],
    ['x', ...at(source, 'x}}'), false],
    ['items', ...at(source, 'items'), false],
    ['port', ...at(source, '../port'), false],
    ['none', ...at(source, 'none'), false],
  ]);
});

test('#with and block-parameter paths are relative, this and @data are skipped', () => {
  const source = '{{#with dlv}}{{port}}{{/with}}{{#each xs as |x|}}{{x.y}}{{/each}}{{this.top}}{{@root.z}}';
  assert.deepEqual(refs(source), [
    ['dlv', ...at(source, 'dlv'), false],
    ['xs', ...at(source, 'xs'), false],
    ['top', ...at(source, 'this.top'), false],
  ]);
});

test('a constant template reads nothing', () => {
  assert.deepEqual(refs('echo hello {{! a comment }}'), []);
});
