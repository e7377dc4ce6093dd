// `loop:` before anything runs: the plan's step per item (rendered with its item, per host), the
// dry run's text, and every bad input a loop can have, each refused with exit 4 at file:line:col
// with a hint (through the built CLI, as a user meets them).
import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, test } from 'node:test';
import { InvalidInputError, plan, validate } from '../src/index.js';
import type { HostPlan, PlanStep } from '../src/index.js';
import { formatPlan } from '../src/plan/print.js';
import { kplay } from './helpers/cli.js';
import { writeTree } from './helpers/files.js';

const INVENTORY = `
hosts:
  cp1: {address: 127.0.0.2, vars: {dirs: [/etc/a, /etc/b]}}
  cp2: {address: 127.0.0.3, vars: {dirs: [/etc/c]}}
`;

function planOf(playbook: string, extra: Record<string, string> = {}) {
  const dir = writeTree({ 'pb.yaml': playbook, 'inv.yaml': INVENTORY, ...extra });
  return plan({ playbook: path.join(dir, 'pb.yaml'), inventory: path.join(dir, 'inv.yaml') }).plan;
}

function problemsOf(playbook: string, extra: Record<string, string> = {}) {
  const dir = writeTree({ 'pb.yaml': playbook, 'inv.yaml': INVENTORY, ...extra });
  try {
    plan({ playbook: path.join(dir, 'pb.yaml'), inventory: path.join(dir, 'inv.yaml') });
  } catch (e) {
    if (e instanceof InvalidInputError) return e.problems.map((p) => ({ code: p.code, at: p.pos ? `${path.basename(p.pos.file)}:${p.pos.line}:${p.pos.col}` : '', message: p.message, hint: p.hint ?? '' }));
    throw e;
  }
  assert.fail('the plan was accepted');
}

function host(p: ReturnType<typeof planOf>, name: string): HostPlan {
  const h = p.hosts.find((x) => x.name === name);
  assert.ok(h, `host ${name}`);
  return h;
}

function cmd(s: PlanStep): string {
  return (s.args as { cmd: string }).cmd;
}

describe('loop in the plan', () => {
  test('a list from the host vars gives each host its own items, each rendered with its item', () => {
    const p = planOf(`name: t
hosts: all
tasks:
  - name: make
    command: mkdir -p {{item}}
    rollback: rmdir {{item}}
    loop: "{{dirs}}"
`);
    const s1 = host(p, 'cp1').steps[0]!;
    assert.equal(s1.action, 'run');
    assert.deepEqual(
      s1.loop?.items?.map((i) => [i.id, i.name, cmd(i), i.undo?.preview[0]]),
      [
        ['1[1]', 'make (item=/etc/a)', 'mkdir -p /etc/a', '$ rmdir /etc/a'],
        ['1[2]', 'make (item=/etc/b)', 'mkdir -p /etc/b', '$ rmdir /etc/b'],
      ],
    );
    assert.deepEqual(
      host(p, 'cp2').steps[0]!.loop?.items?.map(cmd),
      ['mkdir -p /etc/c'],
    );
    const text = formatPlan(p);
    assert.match(text, /1 {4}make \[command\] {2}loop over \{\{dirs\}\}: 2 items\n {2}1\[1\] make \(item=\/etc\/a\) \[command\]\n {9}\$ mkdir -p \/etc\/a\n {9}undo: \$ rmdir \/etc\/a/);
    assert.match(text, /3 steps to run/, 'the items count as steps, the loop itself does not');
  });

  test('a written list: its strings are templates; loop_var, index_var, label and when per item', () => {
    const p = planOf(`name: t
hosts: cp1
vars:
  base: /srv
tasks:
  - name: put
    command: echo {{i}} {{f.name}}
    loop: [{name: "{{base}}/x"}, {name: skip}, {name: z}]
    loop_control: {loop_var: f, index_var: i, label: "{{f.name}}"}
    when: (ne f.name "skip")
`);
    const s = host(p, 'cp1').steps[0]!;
    assert.deepEqual(
      s.loop?.items?.map((i) => [i.name, i.action, i.action === 'run' ? cmd(i) : i.reason]),
      [
        ['put (f=/srv/x)', 'run', 'echo 0 /srv/x'],
        ['put (f=skip)', 'skip', 'when: (ne f.name "skip") is false'],
        ['put (f=z)', 'run', 'echo 2 z'],
      ],
    );
    assert.deepEqual(s.loop && { over: s.loop.over, loopVar: s.loop.loopVar, indexVar: s.loop.indexVar }, { over: '[{"name":"{{base}}/x"},{"name":"skip"},{"name":"z"}]', loopVar: 'f', indexVar: 'i' });
  });

  // A loop over a list only run time knows (a command's lines), registered as cats; 10 lines.
  const LOOP_OVER_RESULT = `name: t
hosts: cp1
tasks:
  - name: list
    command: ls /etc
    register: ls
  - name: each
    command: cat {{item}}
    loop: "{{ls.lines}}"
    register: cats
`;

  test('a list known only at run time is one step with <item> placeholders; its results can be read after it', () => {
    const p = planOf(`${LOOP_OVER_RESULT}  - name: first
    command: echo {{cats.results.[0].stdout}} {{cats.msg}}
`);
    const [, each, first] = host(p, 'cp1').steps;
    assert.equal(each!.action, 'run');
    assert.equal(each!.loop?.items, undefined);
    assert.equal(cmd(each!), 'cat <item>');
    assert.equal(each!.runtime, true);
    assert.match(cmd(first!), /<results of "each"\.0\.stdout>/);
    assert.match(formatPlan(p), /loop over \{\{ls\.lines\}\}, known at run time: each item runs as below, item in place of <item>/);
  });

  test("a registered loop's results are a list before the run: what cannot work with a list is refused", () => {
    const looped = `${LOOP_OVER_RESULT}  - name: after
    command: echo {{length cats.results}}
    when: WHEN
`;
    // "    when: " is 10 characters: the comparison starts at column 11 of line 13.
    const refused = problemsOf(looped.replace('WHEN', '(gt cats.results 2)'));
    assert.deepEqual(
      refused.map((p) => [p.code, p.at]),
      [['E_TEMPLATE', 'pb.yaml:13:11']],
    );
    assert.match(refused[0]!.message, /gt compares numbers or strings, got <results of "each"> \(a list\) and 2/);
    assert.match(problemsOf(looped.replace('WHEN', '(eq (upper cats.results) "X")'))[0]!.message, /upper: argument 1 must be a text, got <results of "each"> \(a list\)/);
    // What works with a list and a string plans, to be decided at run time.
    const ok = host(planOf(looped.replace('WHEN', '(and (gt (length cats.results) 2) (ne cats.msg ""))')), 'cp1').steps[2]!;
    assert.equal(ok.action, 'run');
    assert.match(ok.reason ?? '', /decided at run time/);
  });

  test('a loop whose items are all skipped is skipped, and an empty list too', () => {
    const p = planOf(`name: t
hosts: cp1
vars: {none: []}
tasks:
  - name: empty
    command: echo {{item}}
    loop: "{{none}}"
  - name: all skipped
    command: echo {{item}}
    loop: [a, b]
    when: (eq item "c")
  - name: tagged away
    command: echo {{item}}
    loop: [a]
    when: false
`);
    const [empty, skipped, never] = host(p, 'cp1').steps;
    assert.deepEqual([empty!.action, empty!.reason], ['skip', 'loop over an empty list']);
    assert.deepEqual([skipped!.action, skipped!.reason], ['skip', 'when: (eq item "c") is false']);
    assert.deepEqual([never!.action, never!.reason, never!.loop?.items], ['skip', 'when: false', undefined]);
    assert.match(formatPlan(p), /0 steps to run/);
  });

  test('no_log hides each item: its name shows its position, not its value', () => {
    const p = planOf(`name: t
hosts: cp1
tasks:
  - name: secret
    command: echo {{item}}
    loop: [s3cr3t]
    no_log: true
`);
    const text = formatPlan(p);
    assert.doesNotMatch(text, /s3cr3t/);
    assert.match(text, /secret \(item=1\)/);
  });
});

describe('loop: bad input', () => {
  const cases: { name: string; pb: string; files?: Record<string, string>; code: string; at: string; msg: RegExp; hint: RegExp }[] = [
    {
      name: 'a variable holding a string',
      pb: 'name: t\nhosts: all\nvars: {csv: "a,b"}\ntasks:\n  - name: each\n    command: echo {{item}}\n    loop: "{{csv}}"\n',
      code: 'E_LOOP',
      at: 'pb.yaml:7:11',
      msg: /task "each": loop \{\{csv\}\} gave the string "a,b", not a list/,
      hint: /not a string/,
    },
    {
      name: 'a variable holding a mapping',
      pb: 'name: t\nhosts: all\nvars: {m: {a: 1}}\ntasks:\n  - name: each\n    command: echo {{item}}\n    loop: "{{ m }}"\n',
      code: 'E_LOOP',
      at: 'pb.yaml:7:11',
      msg: /gave a mapping \(keys: a\), not a list/,
      hint: /dict2items/,
    },
    {
      name: 'a string that is no template',
      pb: 'name: t\nhosts: all\ntasks:\n  - name: each\n    command: echo {{item}}\n    loop: "a, b"\n',
      code: 'E_LOOP',
      at: 'pb.yaml:6:11',
      msg: /loop is the string "a, b", not a list/,
      hint: /YAML list/,
    },
    {
      name: 'an undefined variable in the loop template',
      pb: 'name: t\nhosts: all\ntasks:\n  - name: each\n    command: echo {{item}}\n    loop: "{{ nope }}"\n',
      code: 'E_TEMPLATE',
      at: 'pb.yaml:6:15',
      msg: /loop: undefined variable "nope"/,
      hint: /nope/,
    },
    {
      name: 'item read by a task without a loop',
      pb: 'name: t\nhosts: all\ntasks:\n  - name: plain\n    command: echo {{host.name}} {{item}}\n',
      code: 'E_LOOP',
      at: 'pb.yaml:5:35',
      msg: /task "plain" reads "item", which only a task with loop: defines/,
      hint: /Add loop:/,
    },
    {
      name: 'item read in the when of a task without a loop, in an included file',
      pb: 'name: t\nhosts: all\ntasks:\n  - name: inc\n    include: t.yaml\n',
      files: { 't.yaml': '- name: inner\n  command: echo hi\n  when: (eq item "x")\n' },
      code: 'E_LOOP',
      at: 't.yaml:3:13',
      msg: /task "inner" reads "item"/,
      hint: /loop/,
    },
    {
      name: 'a loop on an include',
      pb: 'name: t\nhosts: all\ntasks:\n  - name: inc\n    include: t.yaml\n    loop: [a, b]\n',
      files: { 't.yaml': '- name: inner\n  command: echo hi\n' },
      code: 'E_LOOP',
      at: 'pb.yaml:6:5',
      msg: /an include takes only .* not "loop"/,
      hint: /put loop: on the tasks inside the included file/,
    },
    {
      name: 'loop_control without loop',
      pb: 'name: t\nhosts: all\ntasks:\n  - name: one\n    command: echo\n    loop_control: {loop_var: x}\n',
      code: 'E_LOOP',
      at: 'pb.yaml:6:19',
      msg: /loop_control without loop/,
      hint: /Add loop:/,
    },
    {
      name: 'a label that reads an undefined variable',
      pb: 'name: t\nhosts: all\ntasks:\n  - name: each\n    command: echo {{item}}\n    loop: [a]\n    loop_control: {label: "{{nope}}"}\n',
      code: 'E_TEMPLATE',
      at: 'pb.yaml:7:30',
      msg: /loop_control\.label: undefined variable "nope"/,
      hint: /nope/,
    },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const found = problemsOf(c.pb, c.files);
      assert.equal(found.length, 1, JSON.stringify(found, null, 2));
      const [p] = found;
      assert.deepEqual([p!.code, p!.at], [c.code, c.at], JSON.stringify(p));
      assert.match(p!.message, c.msg);
      assert.match(p!.hint, c.hint);
    });
  }

  test('a task file that declares its needs: the loop variable is its own, the list it reads must be declared', () => {
    const dir = writeTree({ 'tf.yaml': 'needs:\n  vars: [dest]\ntasks:\n  - name: each\n    command: cp {{item}} {{dest}}\n    loop: "{{files}}"\n' });
    const [r] = validate([path.join(dir, 'tf.yaml')]);
    assert.deepEqual(
      r!.problems.map((p) => [p.code, p.message]),
      [['E_NEEDS', 'task "each" reads "files", which needs does not declare']],
    );
  });

  test('the CLI exits 4, prints the place, the message and the hint, and no stack', () => {
    const dir = writeTree({ 'pb.yaml': cases[0]!.pb, 'inv.yaml': INVENTORY });
    const r = kplay(['run', 'pb.yaml', '-i', 'inv.yaml', '--dry-run'], { cwd: dir });
    assert.equal(r.code, 4, r.err);
    assert.match(r.err, /^pb\.yaml:7:11: error: task "each": loop \{\{csv\}\} gave the string "a,b", not a list \[E_LOOP\]$/m);
    assert.match(r.err, /^ {2}hint: A loop goes over a list, not a string/m);
    assert.doesNotMatch(r.err, /^\s+at /m);
    const v = kplay(['validate', 'pb.yaml'], { cwd: dir });
    assert.equal(v.code, 4, v.err);
    assert.match(v.err, /pb\.yaml:7:11: error: .*\[E_LOOP\]/);
  });
});
