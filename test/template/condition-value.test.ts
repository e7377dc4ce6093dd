// A compiled condition gives its value as it is too (what `loop: "{{expr}}"` goes over), besides
// the true/false that `when` and `until` use.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compileCondition, isRuntimeValue, runtimeResult, TemplateError } from '../../src/template/index.js';

test('value() gives lists, mappings and placeholders unchanged; evaluate() still gives true or false', () => {
  const ctx = { files: ['a', 'b'], m: { k: 1 }, empty: [], out: runtimeResult('read') };
  assert.deepEqual(compileCondition('files').value(ctx), ['a', 'b']);
  assert.deepEqual(compileCondition('m').value(ctx), { k: 1 });
  assert.deepEqual(compileCondition('empty').value(ctx), []);
  assert.equal(compileCondition('empty').evaluate(ctx), false);
  assert.equal(compileCondition('files').evaluate(ctx), true);
  assert.ok(isRuntimeValue(compileCondition('out.lines').value(ctx)));
  // A helper call goes through Handlebars itself: its value comes back as it is too.
  assert.deepEqual(compileCondition('(default nope files)').value(ctx), ['a', 'b']);
  assert.throws(() => compileCondition('nope').value(ctx), (e: unknown) => e instanceof TemplateError && /undefined variable "nope"/.test(e.message));
});
