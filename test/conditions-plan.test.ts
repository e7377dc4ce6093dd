// changed_when, failed_when, assert, fail, debug and set_fact before anything runs: what the plan
// shows, and the mistakes that stop a run at file:line:col (exit 4) through the built CLI.
import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, test } from 'node:test';
import { plan, validate } from '../src/index.js';
import type { PlanStep } from '../src/index.js';
import { kplay } from './helpers/cli.js';
import { writeTree } from './helpers/files.js';

const INVENTORY = 'hosts:\n  cp1: {address: 127.0.0.2, vars: {max_load: 5}}\n';

function stepsOf(playbook: string): PlanStep[] {
  const dir = writeTree({ 'pb.yaml': playbook, 'inv.yaml': INVENTORY });
  return plan({ playbook: path.join(dir, 'pb.yaml'), inventory: path.join(dir, 'inv.yaml') }).plan.hosts[0]!.steps;
}

/** Runs `kplay plan` on a playbook (lines joined), expecting exit 4; returns stderr. */
function refused(...lines: string[]): string {
  const dir = writeTree({ 'pb.yaml': `${lines.join('\n')}\n`, 'inv.yaml': INVENTORY });
  const r = kplay(['plan', 'pb.yaml', '-i', 'inv.yaml'], { cwd: dir });
  assert.equal(r.code, 4, r.err);
  assert.doesNotMatch(r.err, /\n\s+at /, 'no stack trace');
  return r.err;
}

const HEAD = ['name: t', 'hosts: all', 'secrets: {token: {env: KPLAY_TEST_TOKEN}}', 'tasks:'];

describe('the plan shows what the controller-side kinds would check, print and set', () => {
  const steps = stepsOf(
    [
      'name: t',
      'hosts: all',
      'tasks:',
      '  - name: load',
      '    command: echo 3',
      '    register: load',
      '    changed_when: false',
      '  - name: remember',
      '    set_fact: {seen: "{{load.stdout}}", fixed: "{{host.name}}-x", n: 3}',
      '  - name: show',
      '    debug: {msg: "load {{seen}} on {{fixed}}"}',
      '  - name: show var',
      '    debug: {var: n}',
      '  - name: check',
      '    assert: {that: ["(eq load.rc 0)", "(eq fixed \\"cp1-x\\")", "(eq n 4)"]}',
      '  - name: never',
      '    fail: {msg: "no"}',
      '    when: (eq fixed "other")',
    ].join('\n'),
  );
  const step = (name: string) => steps.find((s) => s.name === name)!;

  test('set_fact: each value, a known one as it is and one read from a result as a placeholder', () => {
    assert.deepEqual(step('remember').preview, ['set seen = "<stdout of \\"load\\">"', 'set fixed = "cp1-x"', 'set n = 3']);
    assert.equal(step('remember').changes, false);
  });

  test('debug: the message, with what is known already filled in', () => {
    assert.deepEqual(step('show').preview, ['print load <seen> on cp1-x']);
    assert.deepEqual(step('show var').preview, ['print n = 3']);
  });

  test('assert: each condition, with its answer where the plan can tell', () => {
    assert.deepEqual(step('check').preview, ['check (eq load.rc 0)', 'check (eq fixed "cp1-x") (holds now)', 'check (eq n 4) (false now: the task would fail)']);
    assert.equal(step('check').runtime, true, 'it is evaluated again when load is known');
  });

  test('a when on a fact known at plan time is decided at plan time', () => {
    assert.equal(step('never').action, 'skip');
    assert.equal(step('never').reason, 'when: (eq fixed "other") is false');
  });
});

describe('mistakes stop the run before anything is connected (exit 4, file:line:col, a hint)', () => {
  test('a failed_when or changed_when that names an undefined variable', () => {
    const err = refused(...HEAD, '  - name: load', '    command: echo 3', '    register: load', '    failed_when: (gt load.stdout max_laod)', '    changed_when: [(eq load.rc 0), (eq changd 1)]');
    assert.match(err, /pb\.yaml:8:34: error: undefined variable "max_laod" \[E_TEMPLATE\]\n.*\n.*\n  hint: Did you mean "max_load"\?/);
    assert.match(err, /pb\.yaml:9:40: error: undefined variable "changd" \[E_TEMPLATE\]/);
  });

  test('a failed_when: no, as Ansible writes false', () => {
    const err = refused(...HEAD, '  - name: t', '    command: "true"', '    failed_when: no');
    assert.match(err, /pb\.yaml:7:18: error: failed_when must be a condition or true\/false, not "no" \[E_SCHEMA\]/);
    assert.match(err, /hint: YAML 1\.2 reads no as a string; write failed_when: false\./);
  });

  test('an assert with no that, and one whose condition names an undefined variable', () => {
    const err = refused(...HEAD, '  - name: a', '    assert: {fail_msg: too high}');
    assert.match(err, /pb\.yaml:6:13: error: task "a": assert: missing required key "that" \[E_SCHEMA\]/);
    const err2 = refused(...HEAD, '  - name: a', '    assert:', '      that:', '        - (eq host.name "cp1")', '        - (lt lod 3)');
    assert.match(err2, /pb\.yaml:9:15: error: undefined variable "lod" \[E_TEMPLATE\]/);
  });

  test('a set_fact of a reserved name or of a secret', () => {
    const err = refused(...HEAD, '  - name: f', '    set_fact: {host: x, token: y, fine: z}');
    assert.match(err, /pb\.yaml:6:16: error: task "f": set_fact cannot set "host", a name kplay gives every task \[E_TASK\]/);
    assert.match(err, /pb\.yaml:6:25: error: task "f": set_fact would replace the secret "token" with a value \[E_SECRET\]/);
    assert.match(err, /2 errors/);
  });

  test('a debug var that is not defined, and a debug with both msg and var', () => {
    assert.match(refused(...HEAD, '  - name: d', '    debug: {var: missing.x}'), /pb\.yaml:6:12: error: undefined variable "missing\.x" \[E_TEMPLATE\]/);
    assert.match(refused(...HEAD, '  - name: d', '    debug: {var: x, msg: y}'), /pb\.yaml:6:12: error: task "d": debug takes exactly one of msg or var \[E_SCHEMA\]/);
  });

  test('a later task that reads a fact whose set_fact is certainly skipped', () => {
    const err = refused(...HEAD, '  - name: f', '    set_fact: {x: 1}', '    when: false', '  - name: use', '    command: echo {{x}}');
    assert.match(err, /pb\.yaml:9:21: error: undefined variable "x" \[E_TEMPLATE\]/);
  });
});

describe('a set_fact name is what a task file provides, and what an include after it may need', () => {
  const files = {
    'facts.yaml': 'needs: {vars: [source]}\nprovides: [build_dir]\ntasks:\n- name: Decide\n  set_fact: {build_dir: "{{source}}/out"}\n',
    'use.yaml': 'needs: {vars: [build_dir]}\ntasks:\n- name: Use\n  command: ls {{build_dir}}\n',
    'pb.yaml': 'name: t\nhosts: all\nvars: {source: /src}\ntasks:\n  - name: facts\n    include: facts.yaml\n  - name: use\n    include: use.yaml\n',
    'inv.yaml': INVENTORY,
  };

  test('validate finds the promise kept and the need met', () => {
    const dir = writeTree(files);
    const errors = validate([dir]).flatMap((r) => r.problems).filter((p) => p.severity === 'error');
    assert.deepEqual(errors, []);
  });

  test('the plan renders the later include with the fact', () => {
    const dir = writeTree(files);
    const p = plan({ playbook: path.join(dir, 'pb.yaml'), inventory: path.join(dir, 'inv.yaml') }).plan;
    assert.equal((p.hosts[0]!.steps[1]!.args as { cmd: string }).cmd, 'ls /src/out');
  });

  test('without the set_fact, the include that needs the variable is refused at the include', () => {
    const dir = writeTree({ ...files, 'pb.yaml': 'name: t\nhosts: all\ntasks:\n  - name: use\n    include: use.yaml\n' });
    const errors = validate([path.join(dir, 'pb.yaml')]).flatMap((r) => r.problems).filter((p) => p.severity === 'error');
    assert.match(errors[0]?.message ?? '', /use\.yaml needs the variable "build_dir"/);
  });
});
