import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileCondition, compileTemplate, isRuntimeValue, runtimeResult, RuntimeValue } from '../../src/template/index.js';

const TASK = 'Capture the running flags';

test('RuntimeValue renders as its <label>', () => {
  const v = new RuntimeValue('pid of kubelet');
  assert.equal(v.label, 'pid of kubelet');
  assert.equal(String(v), '<pid of kubelet>');
  assert.equal(JSON.stringify({ v }), '{"v":"<pid of kubelet>"}');
  assert.equal(isRuntimeValue(v), true);
  assert.equal(isRuntimeValue('<x>'), false);
  assert.equal(isRuntimeValue(null), false);
});

test('runtimeResult gives labelled placeholders for every result field', () => {
  const r = runtimeResult(TASK);
  assert.deepEqual(Object.keys(r).sort(), ['changed', 'failed', 'lines', 'rc', 'skipped', 'stderr', 'stdout', 'value']);
  for (const field of ['stdout', 'stderr', 'rc', 'lines', 'value', 'failed', 'changed', 'skipped']) {
    const v = r[field];
    assert.ok(isRuntimeValue(v), field);
    assert.equal(v.label, `${field} of "${TASK}"`);
  }
});

test('value and lines support any nested path, as Handlebars looks them up', () => {
  const value = runtimeResult(TASK)['value'] as Record<string, unknown>;
  const spec = value['spec'] as Record<string, unknown>;
  const containers = spec['containers'];
  assert.ok(isRuntimeValue(containers));
  assert.equal(containers.label, `value.spec.containers of "${TASK}"`);
  // Handlebars' strict lookups use `in`, its prototype checks use hasOwnProperty.
  assert.ok('anything' in value);
  assert.ok(Object.prototype.hasOwnProperty.call(value, 'anything'));
  assert.ok(isRuntimeValue(Object.getOwnPropertyDescriptor(value, 'spec')?.value));
  assert.equal(String((runtimeResult(TASK)['lines'] as Record<string, unknown>)['0']), `<lines.0 of "${TASK}">`);
  assert.equal(String(value), `<value of "${TASK}">`);
});

test('runtime placeholders render bare as <label> in shell and text mode', () => {
  const ctx = { flags: runtimeResult(TASK) };
  assert.equal(compileTemplate('echo {{flags.stdout}}', 'shell').render(ctx), `echo <stdout of "${TASK}">`);
  assert.equal(compileTemplate('{{flags.value.spec.containers}}', 'shell').render(ctx), `<value.spec.containers of "${TASK}">`);
  assert.equal(compileTemplate('{{{flags.rc}}} {{flags.rc}}', 'text').render(ctx), `<rc of "${TASK}"> <rc of "${TASK}">`);
});

test('helpers given runtime values return runtime values describing the call', () => {
  const ctx = { flags: runtimeResult(TASK), sep: ',' };
  const render = (source: string) => compileTemplate(source, 'shell').render(ctx);
  assert.equal(render('dlv exec -- {{args flags.value}}'), `dlv exec -- <args(value of "${TASK}")>`);
  assert.equal(render('{{join flags.lines sep}}'), `<join(lines of "${TASK}", ",")>`);
  assert.equal(render('{{eq flags.stdout "static-pod"}}'), `<eq(stdout of "${TASK}", "static-pod")>`);
  assert.equal(render('{{quote flags.stdout}}'), `<quote(stdout of "${TASK}")>`);
  assert.equal(render('{{default flags.stdout "x"}}'), `<default(stdout of "${TASK}", "x")>`);
  assert.equal(render('{{basename flags.stdout}}'), `<basename(stdout of "${TASK}")>`);
  assert.equal(render('{{lookup flags.value "spec"}}'), `<value.spec of "${TASK}">`);
  assert.equal(render('{{args (concat "a" flags.stdout)}}'), `<args(concat("a", stdout of "${TASK}"))>`);
});

test('a runtime value inside a known list is previewed in place', () => {
  const ctx = { list: ['--v', new RuntimeValue('pid')] };
  assert.equal(compileTemplate('{{args list}}', 'shell').render(ctx), '--v <pid>');
  assert.equal(compileTemplate('{{join list " "}}', 'shell').render(ctx), '<join(["--v", pid], " ")>');
});

test('#each over a runtime list previews one placeholder item', () => {
  const out = compileTemplate('{{#each r.value.items}}[{{name}} {{@index}}]{{/each}}', 'shell').render({ r: runtimeResult('List') });
  assert.equal(out, '[<value.items[*].name of "List"> <index in value.items of "List">]');
});

test('a typo in a result field is still caught', () => {
  assert.throws(() => compileTemplate('{{flags.stdot}}', 'shell').render({ flags: runtimeResult(TASK) }), /undefined variable "flags.stdot"/);
});

test('conditions that depend on a runtime value return it', () => {
  const ctx = { flags: runtimeResult(TASK), on: true, off: false };
  const decided = compileCondition('(eq flags.stdout "static-pod")').evaluate(ctx);
  assert.ok(isRuntimeValue(decided));
  assert.equal(decided.label, `eq(stdout of "${TASK}", "static-pod")`);
  assert.ok(isRuntimeValue(compileCondition('flags.rc').evaluate(ctx)));
  assert.ok(isRuntimeValue(compileCondition('(not flags.rc)').evaluate(ctx)));
  assert.ok(isRuntimeValue(compileCondition('(and on flags.rc)').evaluate(ctx)));
  // A value already known decides and/or on its own.
  assert.equal(compileCondition('(and off flags.rc)').evaluate(ctx), false);
  assert.equal(compileCondition('(or on flags.rc)').evaluate(ctx), true);
});
