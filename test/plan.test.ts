import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { InvalidInputError, plan, validate } from '../src/index.js';
import type { HostPlan, PlanStep } from '../src/index.js';
import { taskScript } from '../src/connection/task-script.js';
import { writeTree } from './helpers/files.js';

const INVENTORY = `
defaults: {user: root}
vars: {layer: inventory, a: inventory}
hosts:
  cp1: {address: 127.0.0.2, vars: {layer: host-cp1}}
  cp2: {address: 127.0.0.3, port: 2222}
  w1: {address: 127.0.0.4, user: admin, become: true}
groups:
  control-plane: {hosts: [cp1, cp2], vars: {layer: group-cp, g: first}}
  late: {hosts: [cp2], vars: {g: second}}
`;

function planOf(playbook: string, opts: { inventory?: string; extra?: Record<string, string>; args?: Partial<Parameters<typeof plan>[0]> } = {}) {
  const dir = writeTree({ 'pb.yaml': playbook, 'inv.yaml': opts.inventory ?? INVENTORY, ...(opts.extra ?? {}) });
  return plan({ playbook: path.join(dir, 'pb.yaml'), inventory: path.join(dir, 'inv.yaml'), ...opts.args }).plan;
}

function host(p: ReturnType<typeof planOf>, name: string): HostPlan {
  const h = p.hosts.find((x) => x.name === name);
  assert.ok(h, `host ${name} in plan`);
  return h;
}

function step(h: HostPlan, name: string): PlanStep {
  const s = h.steps.find((x) => x.name === name);
  assert.ok(s, `step ${name} on ${h.name}`);
  return s;
}

function cmdOf(s: PlanStep): string {
  return (s.args as { cmd: string }).cmd;
}

/** Runs a rendered command under sh and returns what it printed. */
function sh(command: string): string {
  return execFileSync('/bin/sh', ['-c', command], { encoding: 'utf8' });
}

describe('quoting of hostile values in rendered commands', () => {
  const hostile = [
    '$(touch /tmp/kplay-pwned)',
    '`id`',
    'a; rm -rf /nonexistent',
    "it's",
    'say "hi"',
    'two\nlines',
    '  spaced  out  ',
    '',
    '*',
    '$HOME',
    'back\\slash',
    'ünïcødé ✓',
  ];
  const vars = hostile.map((v, i) => `  v${i}: ${JSON.stringify(v)}`).join('\n');
  const tasks = hostile.map((_, i) => `  - name: t${i}\n    command: printf %s {{v${i}}}`).join('\n');
  const p = planOf(`name: q\nhosts: cp1\nvars:\n${vars}\ntasks:\n${tasks}\n`);
  hostile.forEach((value, i) => {
    test(`value ${JSON.stringify(value)} reaches the command as data`, () => {
      const rendered = cmdOf(step(host(p, 'cp1'), `t${i}`));
      assert.equal(sh(rendered), value);
    });
  });

  test('a -e value is quoted just the same, and never templated', () => {
    const q = planOf('name: q\nhosts: cp1\ntasks:\n  - name: t\n    command: printf %s {{x}}\n', {
      args: { extraVars: ['x={{y}} $(id)'] },
    });
    assert.equal(sh(cmdOf(step(host(q, 'cp1'), 't'))), '{{y}} $(id)');
  });

  test('{{{x}}} inserts raw shell text on purpose', () => {
    const q = planOf('name: q\nhosts: cp1\nvars: {pipe: "| tr a-z A-Z"}\ntasks:\n  - name: t\n    command: printf %s abc {{{pipe}}}\n');
    const rendered = cmdOf(step(host(q, 'cp1'), 't'));
    assert.equal(rendered, 'printf %s abc | tr a-z A-Z');
    assert.equal(sh(rendered), 'ABC');
  });

  test('args splices a list as separate arguments', () => {
    const q = planOf(
      'name: q\nhosts: cp1\nvars:\n  argv: ["--a=1", "two words", "it\'s", "$(x)"]\ntasks:\n  - name: t\n    command: for a in {{args argv}}; do printf "[%s]" "$a"; done\n',
    );
    assert.equal(sh(cmdOf(step(host(q, 'cp1'), 't'))), "[--a=1][two words][it's][$(x)]");
  });

  test('safe values stay bare so previews read like the command a person would type', () => {
    const q = planOf('name: q\nhosts: cp1\nvars: {dir: /etc/kubernetes/manifests, port: 2345}\ntasks:\n  - name: t\n    command: ls {{dir}} {{port}}\n');
    assert.equal(cmdOf(step(host(q, 'cp1'), 't')), 'ls /etc/kubernetes/manifests 2345');
  });

  test('non-command fields are rendered as plain text (the task quotes them itself)', () => {
    const q = planOf("name: q\nhosts: cp1\nvars: {d: \"/tmp/it's here\"}\ntasks:\n  - name: t\n    copy: {content: x, dest: '{{d}}/f'}\n");
    assert.equal((step(host(q, 'cp1'), 't').args as { dest: string }).dest, "/tmp/it's here/f");
  });
});

describe('variables', () => {
  test('precedence: playbook < inventory < group < host < task < -e', () => {
    const pb = `name: v
hosts: [cp1, cp2, w1]
vars: {layer: playbook, a: playbook, p: playbook, t: playbook, e: playbook}
tasks:
  - name: show
    command: echo {{layer}} {{a}} {{p}}
  - name: task vars
    vars: {t: task, e: task}
    command: echo {{t}} {{e}}
`;
    const p = planOf(pb, { args: { extraVars: ['e=extra'] } });
    assert.equal(cmdOf(step(host(p, 'cp1'), 'show')), 'echo host-cp1 inventory playbook');
    assert.equal(cmdOf(step(host(p, 'cp2'), 'show')), 'echo group-cp inventory playbook');
    assert.equal(cmdOf(step(host(p, 'w1'), 'show')), 'echo inventory inventory playbook');
    assert.equal(cmdOf(step(host(p, 'cp1'), 'task vars')), 'echo task extra');
  });

  test('a later group in the inventory overrides an earlier one', () => {
    const p = planOf('name: v\nhosts: all\ntasks:\n  - name: g\n    command: echo {{default g "none"}}\n');
    assert.equal(cmdOf(step(host(p, 'cp1'), 'g')), 'echo first');
    assert.equal(cmdOf(step(host(p, 'cp2'), 'g')), 'echo second');
    assert.equal(cmdOf(step(host(p, 'w1'), 'g')), 'echo none');
  });

  test('string variables may be templates, resolved per host in dependency order', () => {
    const pb = `name: v
hosts: [cp1, cp2]
vars:
  manifest: "{{manifest_dir}}/{{component}}.yaml"
  manifest_dir: "{{kube_dir}}/manifests"
  kube_dir: /etc/kubernetes
  component: "kube-{{layer}}"
tasks:
  - name: mv
    command: mv {{manifest}} /backup/
`;
    const p = planOf(pb);
    assert.equal(cmdOf(step(host(p, 'cp1'), 'mv')), 'mv /etc/kubernetes/manifests/kube-host-cp1.yaml /backup/');
    assert.equal(cmdOf(step(host(p, 'cp2'), 'mv')), 'mv /etc/kubernetes/manifests/kube-group-cp.yaml /backup/');
  });

  test('task vars can override what a playbook var template reads', () => {
    const pb = `name: v
hosts: cp1
vars: {dir: /a, path: "{{dir}}/f"}
tasks:
  - name: t
    vars: {dir: /b}
    command: cat {{path}}
`;
    assert.equal(cmdOf(step(host(planOf(pb), 'cp1'), 't')), 'cat /b/f');
  });

  test('host facts are available as host.*', () => {
    const pb = 'name: v\nhosts: [cp2]\ntasks:\n  - name: t\n    command: echo {{host.name}} {{host.address}} {{host.port}} {{host.user}} {{join host.groups ","}}\n';
    assert.equal(cmdOf(step(host(planOf(pb), 'cp2'), 't')), 'echo cp2 127.0.0.3 2222 root control-plane,late');
  });

  test('-e @file.yaml sets variables from a mapping', () => {
    const dir = writeTree({
      'pb.yaml': 'name: v\nhosts: cp1\ntasks:\n  - name: t\n    command: echo {{x}} {{y}}\n',
      'inv.yaml': INVENTORY,
      'vars.yaml': 'x: from-file\ny: 2\n',
    });
    const q = plan({ playbook: path.join(dir, 'pb.yaml'), inventory: path.join(dir, 'inv.yaml'), extraVars: [`@${path.join(dir, 'vars.yaml')}`, 'y=3'] }).plan;
    assert.equal(cmdOf(step(host(q, 'cp1'), 't')), 'echo from-file 3');
  });
});

describe('values known only at run time', () => {
  const pb = `name: r
hosts: cp1
tasks:
  - name: Find the process
    command: pgrep -n kube-apiserver
    register: pid
  - name: Capture the running flags
    read: {path: "/proc/{{pid.stdout}}/cmdline", format: cmdline}
    register: flags
  - name: Relaunch
    command: /usr/local/bin/kube-apiserver {{args flags.value}}
  - name: Only if found
    when: pid.stdout
    command: echo found
  - name: Static
    command: echo {{host.name}}
`;
  const p = planOf(pb);
  const h = host(p, 'cp1');

  test('are shown as placeholders naming the task they come from', () => {
    const s = step(h, 'Capture the running flags');
    assert.equal((s.args as { path: string }).path, '/proc/<stdout of "Find the process">/cmdline');
    assert.deepEqual(s.preview, ['read /proc/<stdout of "Find the process">/cmdline as cmdline']);
    assert.equal(s.runtime, true);
    assert.match(cmdOf(step(h, 'Relaunch')), /^\/usr\/local\/bin\/kube-apiserver <.*value of "Capture the running flags".*>$/);
  });

  test('a when that reads them is decided at run time, and says so', () => {
    const s = step(h, 'Only if found');
    assert.equal(s.action, 'run');
    assert.deepEqual(s.runtimeWhen, ['pid.stdout']);
    assert.match(s.reason ?? '', /decided at run time/);
  });

  test('steps without them are not marked', () => {
    assert.equal(step(h, 'Static').runtime, false);
    assert.equal(cmdOf(step(h, 'Static')), 'echo cp1');
  });
});

describe('when, tags, run_once, serial, limit', () => {
  const pb = `name: w
hosts: all
serial: 2
vars: {mode: static-pod}
tasks:
  - name: static
    when: (eq mode "static-pod")
    command: echo static
  - name: systemd
    when: (eq mode "systemd")
    command: echo systemd
  - name: literal false
    when: false
    command: echo never
  - name: tagged
    tags: [build]
    command: echo build
  - name: always
    tags: [always]
    command: echo always
  - name: once
    run_once: true
    command: echo once
`;

  test('a when decided from variables skips the step in the plan, with the reason', () => {
    const p = planOf(pb);
    const h = host(p, 'cp1');
    assert.equal(step(h, 'static').action, 'run');
    assert.equal(step(h, 'systemd').action, 'skip');
    assert.equal(step(h, 'systemd').reason, 'when: (eq mode "systemd") is false');
    assert.equal(step(h, 'literal false').action, 'skip');
  });

  test('serial makes batches; run_once runs on the first host of each batch', () => {
    const p = planOf(pb);
    assert.deepEqual(p.batches, [['cp1', 'cp2'], ['w1']]);
    assert.equal(step(host(p, 'cp1'), 'once').action, 'run');
    assert.equal(step(host(p, 'cp2'), 'once').action, 'skip');
    assert.equal(step(host(p, 'cp2'), 'once').reason, 'run_once: runs on cp1');
    assert.equal(step(host(p, 'w1'), 'once').action, 'run');
  });

  test('--tags selects tagged tasks plus those tagged always; --skip-tags removes', () => {
    const p = planOf(pb, { args: { tags: ['build'] } });
    const h = host(p, 'cp1');
    assert.equal(step(h, 'tagged').action, 'run');
    assert.equal(step(h, 'always').action, 'run');
    assert.equal(step(h, 'static').action, 'skip');
    assert.match(step(h, 'static').reason ?? '', /not selected by --tags build/);
    const q = planOf(pb, { args: { skipTags: ['build'] } });
    assert.equal(step(host(q, 'cp1'), 'tagged').action, 'skip');
    assert.equal(step(host(q, 'cp1'), 'static').action, 'run');
  });

  test('--limit narrows by name, group, glob and exclusion', () => {
    assert.deepEqual(planOf(pb, { args: { limit: 'control-plane' } }).hosts.map((h) => h.name), ['cp1', 'cp2']);
    assert.deepEqual(planOf(pb, { args: { limit: 'cp*,!cp2' } }).hosts.map((h) => h.name), ['cp1']);
    assert.deepEqual(planOf(pb, { args: { limit: '!w1' } }).hosts.map((h) => h.name), ['cp1', 'cp2']);
    assert.deepEqual(planOf(pb, { args: { limit: 'w1' } }).hosts.map((h) => h.name), ['w1']);
  });

  test('max_hosts refuses before anything is planned and names --limit', () => {
    assert.throws(
      () => planOf('name: m\nhosts: control-plane\nmax_hosts: 1\ntasks:\n  - name: t\n    command: "true"\n'),
      (err: unknown) => {
        assert.ok(err instanceof InvalidInputError);
        assert.match(err.problems[0]!.message, /at most 1 host at a time, and 2 are selected \(cp1, cp2\)/);
        assert.match(err.problems[0]!.hint ?? '', /--limit cp1/);
        return true;
      },
    );
    const one = planOf('name: m\nhosts: control-plane\nmax_hosts: 1\ntasks:\n  - name: t\n    command: "true"\n', { args: { limit: 'cp2' } });
    assert.deepEqual(one.hosts.map((h) => h.name), ['cp2']);
  });

  test('become: the task wins over the playbook, the playbook over the inventory', () => {
    const p = planOf('name: b\nhosts: [cp1, w1]\ntasks:\n  - name: plain\n    command: "true"\n  - name: no sudo\n    become: false\n    command: "true"\n');
    assert.equal(step(host(p, 'cp1'), 'plain').become, false);
    assert.equal(step(host(p, 'w1'), 'plain').become, true);
    assert.equal(step(host(p, 'w1'), 'no sudo').become, false);
    const q = planOf('name: b\nhosts: [cp1]\nbecome: true\ntasks:\n  - name: plain\n    command: "true"\n');
    assert.equal(step(host(q, 'cp1'), 'plain').become, true);
  });
});

describe('includes and rollback', () => {
  const files = {
    'lib/stop.yaml': `- name: Move the manifest
  command: mv {{manifest}} {{backup_dir}}/
  rollback: mv {{backup_dir}}/{{basename manifest}} {{dirname manifest}}/
  tags: [stop]
- name: Wait
  wait_for: {path: "{{manifest}}", state: absent, timeout: 30s}
`,
  };
  const pb = `name: i
hosts: cp1
vars: {backup_dir: /var/lib/kplay/backup}
tasks:
  - name: before
    command: "true"
  - name: Stop the static pod
    include: {file: lib/stop.yaml, vars: {manifest: /etc/kubernetes/manifests/kube-apiserver.yaml}}
    when: (eq host.name "cp1")
    tags: [outer]
  - name: launch
    dlv: {binary: /opt/kube-apiserver, args: ["--secure-port=6443", "a b"]}
    rollback: {name: Stop Delve, command: "pkill -TERM -f {{quote 'dlv exec'}}"}
`;
  const p = planOf(pb, { extra: files });
  const h = host(p, 'cp1');

  test('included tasks get ids under the include, its vars, when and tags', () => {
    assert.deepEqual(h.steps.map((s) => s.id), ['1', '2.1', '2.2', '3']);
    const mv = step(h, 'Move the manifest');
    assert.equal(cmdOf(mv), 'mv /etc/kubernetes/manifests/kube-apiserver.yaml /var/lib/kplay/backup/');
    assert.deepEqual(mv.tags.sort(), ['outer', 'stop']);
    assert.equal(mv.action, 'run');
    assert.match(mv.source, /lib\/stop\.yaml:1:3$/);
  });

  test('undo steps are rendered like the step itself', () => {
    const mv = step(h, 'Move the manifest');
    assert.deepEqual(mv.undo?.preview, ['$ mv /var/lib/kplay/backup/kube-apiserver.yaml /etc/kubernetes/manifests/']);
    const launch = step(h, 'launch');
    assert.equal(launch.undo?.name, 'Stop Delve');
    assert.deepEqual(launch.undo?.preview, ["$ pkill -TERM -f 'dlv exec'"]);
  });

  test('dlv listens on loopback unless told otherwise, and shows the exact command line', () => {
    assert.deepEqual(step(h, 'launch').preview, [
      "start detached: dlv exec /opt/kube-apiserver --headless --listen=127.0.0.1:2345 --api-version=2 --accept-multiclient -- --secure-port=6443 'a b'",
      '  (output to /tmp/kplay-dlv-2345.log; waits until Delve answers on 127.0.0.1:2345)',
    ]);
  });

  test('wait_for previews name the state it waits for', () => {
    assert.deepEqual(step(h, 'Wait').preview, ['wait until path /etc/kubernetes/manifests/kube-apiserver.yaml is absent (timeout 30s, every 1s)']);
  });
});

describe('the plan as JSON', () => {
  test('is plain data that round-trips, with source positions', () => {
    const p = planOf('name: j\nhosts: all\ntasks:\n  - name: t\n    command: echo {{host.name}}\n    timeout: 2m\n');
    // Only plain data: nothing JSON would drop or change (class instances, functions, NaN).
    const plain = (v: unknown, where: string): void => {
      if (v === undefined || v === null || typeof v === 'string' || typeof v === 'boolean') return;
      if (typeof v === 'number') return assert.ok(Number.isFinite(v), where);
      if (Array.isArray(v)) return v.forEach((x, i) => plain(x, `${where}[${i}]`));
      assert.equal(Object.getPrototypeOf(v), Object.prototype, `${where} is a plain object`);
      for (const [k, x] of Object.entries(v as object)) plain(x, `${where}.${k}`);
    };
    plain(p, 'plan');
    const copy = JSON.parse(JSON.stringify(p));
    assert.equal(copy.planVersion, 2);
    assert.equal(copy.hosts[0].steps[0].timeoutMs, 120_000);
    assert.match(copy.hosts[0].steps[0].source, /pb\.yaml:4:5$/);
  });

  test('500 hosts x 30 tasks: every host gets every step, rendered for it', () => {
    const hosts = Array.from({ length: 500 }, (_, i) => `  h${i}: {address: 127.0.${Math.floor(i / 250)}.${(i % 250) + 2}}`).join('\n');
    const tasks = Array.from({ length: 30 }, (_, i) => `  - name: t${i}\n    command: echo {{host.name}} ${i} {{v}}`).join('\n');
    const p = planOf(`name: big\nhosts: all\nvars: {v: x}\ntasks:\n${tasks}\n`, { inventory: `hosts:\n${hosts}\n` });
    assert.equal(p.hosts.length, 500);
    assert.ok(p.hosts.every((h) => h.steps.length === 30));
    assert.equal(cmdOf(p.hosts[499]!.steps[29]!), 'echo h499 29 x');
  });
});

test('-e true and false are booleans, so they can switch a when off; other values stay literal text', () => {
  const pb = 'name: s\nhosts: cp1\nvars: {flag: true}\ntasks:\n  - name: on\n    when: flag\n    command: echo {{n}}\n';
  const off = planOf(pb, { args: { extraVars: ['flag=false', 'n=007'] } });
  assert.equal(step(host(off, 'cp1'), 'on').action, 'skip');
  const on = planOf(pb, { args: { extraVars: ['flag=true', 'n=007'] } });
  assert.equal(cmdOf(step(host(on, 'cp1'), 'on')), 'echo 007');
});

test('changed_when: no (YAML 1.1\'s false) is refused with the YAML 1.2 spelling', () => {
  const bad = writeTree({ 'pb.yaml': 'name: c\nhosts: cp1\ntasks:\n  - name: t\n    command: "true"\n    changed_when: no\n', 'inv.yaml': INVENTORY });
  assert.throws(
    () => plan({ playbook: path.join(bad, 'pb.yaml'), inventory: path.join(bad, 'inv.yaml') }),
    (err: unknown) => err instanceof InvalidInputError && /changed_when must be a condition or true\/false, not "no"/.test(err.problems[0]!.message) && /write changed_when: false/.test(err.problems[0]!.hint ?? '') && err.problems[0]!.pos?.line === 6,
  );
});

test('a rollback moved to the controller does not inherit the host task\'s sudo', () => {
  const p = planOf(
    'name: b\nhosts: [cp1]\nbecome: true\ntasks:\n  - name: on the host\n    command: "true"\n    rollback: {name: back on the controller, local: true, command: "true"}\n  - name: sudo both\n    command: "true"\n    rollback: "true"\n',
  );
  const moved = step(host(p, 'cp1'), 'on the host');
  assert.equal(moved.become, true);
  assert.deepEqual([moved.undo!.local, moved.undo!.become], [true, false]);
  assert.deepEqual([step(host(p, 'cp1'), 'sudo both').undo!.local, step(host(p, 'cp1'), 'sudo both').undo!.become], [false, true]);
});

describe('template files, rendered when the plan is built', () => {
  /** The problems planning reports (none: the plan was built). */
  function problemsOf(files: Record<string, string>, args: Partial<Parameters<typeof plan>[0]> = {}): { file: string; line: number; col: number; message: string }[] {
    const dir = writeTree({ 'inv.yaml': INVENTORY, ...files });
    try {
      plan({ playbook: path.join(dir, 'pb.yaml'), inventory: path.join(dir, 'inv.yaml'), ...args });
      return [];
    } catch (err) {
      assert.ok(err instanceof InvalidInputError, String(err));
      return err.problems.map((p) => ({ file: path.basename(p.pos?.file ?? ''), line: p.pos?.line ?? 0, col: p.pos?.col ?? 0, message: p.message }));
    }
  }

  test('registered results, task and include vars, host facts: no false errors', () => {
    const pb = `name: t
hosts: [cp1, cp2]
vars: {greeting: hi}
tasks:
  - name: find
    command: pgrep -n kube-apiserver
    register: pid
  - name: render
    vars: {own: mine}
    template: {src: files/t.hbs, dest: "/tmp/{{host.name}}"}
  - name: more
    include: {file: lib/more.yaml, vars: {from_include: yes-please}}
`;
    const tpl = '{{greeting}} {{own}} {{host.name}} {{pid.stdout}} {{#if pid.rc}}rc{{/if}}{{#each pid.lines}}{{this}}{{/each}} {{layer}}\n';
    assert.deepEqual(
      problemsOf({
        'pb.yaml': pb,
        'files/t.hbs': tpl,
        // src is relative to the task file that names it.
        'lib/more.yaml': '- name: again\n  template: {src: inc.hbs, dest: /tmp/x}\n',
        'lib/inc.hbs': '{{from_include}} {{pid.stdout}}\n',
      }),
      [],
    );
  });

  test('an undefined variable in a template file is reported once, at the file\'s line and column', () => {
    const pb = 'name: t\nhosts: all\ntasks:\n  - name: render\n    template: {src: t.hbs, dest: /tmp/x}\n';
    assert.deepEqual(problemsOf({ 'pb.yaml': pb, 't.hbs': 'line one\n  {{nope}}\n' }), [{ file: 't.hbs', line: 2, col: 5, message: 'undefined variable "nope"' }]);
  });

  test('a value that differs per host: the hosts missing it are named', () => {
    const pb = 'name: t\nhosts: all\ntasks:\n  - name: render\n    template: {src: t.hbs, dest: /tmp/x}\n';
    const found = problemsOf({ 'pb.yaml': pb, 't.hbs': '{{g}}\n' });
    assert.deepEqual(found, [{ file: 't.hbs', line: 1, col: 3, message: 'undefined variable "g" (on host w1)' }]);
  });

  test('a template file in a rollback is checked too; one whose name is known only at run time is not', () => {
    const pb = `name: t
hosts: cp1
tasks:
  - name: where
    command: echo a.hbs
    register: name
  - name: later
    template: {src: "{{name.stdout}}", dest: /tmp/x}
    rollback:
      template: {src: undo.hbs, dest: /tmp/x}
`;
    assert.deepEqual(problemsOf({ 'pb.yaml': pb, 'undo.hbs': '{{missing}}' }), [{ file: 'undo.hbs', line: 1, col: 3, message: 'undefined variable "missing"' }]);
  });

  test('an -e value defines what a template file reads', () => {
    const pb = 'name: t\nhosts: cp1\ntasks:\n  - name: render\n    template: {src: t.hbs, dest: /tmp/x}\n';
    assert.deepEqual(problemsOf({ 'pb.yaml': pb, 't.hbs': '{{nope}}' }, { extraVars: ['nope=1'] }), []);
  });
});

describe('what a plan was built from', () => {
  test('plan() returns the plan with its source, and the plan records every file read with its checksum', () => {
    const files = {
      'pb.yaml': 'name: t\nhosts: cp1\nvars_files: [lib/defaults.yaml]\ntasks:\n  - name: inc\n    include: lib/tasks.yaml\n',
      'lib/defaults.yaml': 'vars: {d: 1}\n',
      'lib/tasks.yaml': '- name: render\n  template: {src: t.hbs, dest: /tmp/x}\n',
      'lib/t.hbs': '{{d}} {{e}}\n',
      'ev.yaml': 'e: 2\n',
      'inv.yaml': INVENTORY,
    };
    const dir = writeTree(files);
    const r = plan({ playbook: path.join(dir, 'pb.yaml'), inventory: path.join(dir, 'inv.yaml'), extraVars: [`@${path.join(dir, 'ev.yaml')}`, 'x=1'], limit: 'cp1', tags: ['a', 'always'] });
    assert.equal(r.source.playbook.absPath, path.join(dir, 'pb.yaml'));
    assert.equal(r.source.inventory.file.endsWith('inv.yaml'), true);
    assert.deepEqual(r.source.opts.extraVars, { e: 2, x: '1' });
    const copy = JSON.parse(JSON.stringify(r.plan)) as typeof r.plan;
    const sha = (name: string) => createHash('sha256').update(readFileSync(path.join(dir, name))).digest('hex');
    assert.deepEqual(
      copy.inputs.files,
      ['pb.yaml', 'lib/defaults.yaml', 'lib/tasks.yaml', 'inv.yaml', 'ev.yaml', 'lib/t.hbs'].map((f) => ({ path: path.join(dir, f), sha256: sha(f) })),
    );
    assert.deepEqual(
      { ...copy.inputs, files: undefined },
      { playbook: path.join(dir, 'pb.yaml'), inventory: path.join(dir, 'inv.yaml'), extraVars: [`@${path.join(dir, 'ev.yaml')}`, 'x=1'], limit: 'cp1', tags: ['a', 'always'], cwd: process.cwd(), files: undefined },
    );
    // Nothing rides on the plan object besides what JSON shows.
    assert.deepEqual(Object.getOwnPropertySymbols(r.plan), []);
  });

  test('a relative -e @file is recorded with its absolute path, so the plan can be built again from elsewhere', () => {
    const dir = writeTree({ 'pb.yaml': 'name: t\nhosts: cp1\ntasks:\n  - name: t\n    command: echo {{e}}\n', 'inv.yaml': INVENTORY, 'ev.yaml': 'e: 2\n' });
    const rel = path.relative(process.cwd(), path.join(dir, 'ev.yaml'));
    const r = plan({ playbook: path.join(dir, 'pb.yaml'), inventory: path.join(dir, 'inv.yaml'), extraVars: [`@${rel}`] });
    assert.deepEqual(r.plan.inputs.extraVars, [`@${path.join(dir, 'ev.yaml')}`]);
  });
});

describe('kplay validate renders a playbook for a host it knows nothing about', () => {
  test('a variable the inventory defines counts when that inventory is validated with the playbook', () => {
    const dir = writeTree({
      'pb.yaml': 'name: t\nhosts: all\ntasks:\n  - name: t\n    command: echo {{layer}} {{g}} {{host.name}}\n    register: r\n  - name: u\n    template: {src: t.hbs, dest: "/tmp/{{r.stdout}}"}\n',
      't.hbs': '{{r.stdout}} {{host.port}} {{layer}}\n',
      'inv.yaml': INVENTORY,
    });
    const alone = validate([path.join(dir, 'pb.yaml')]);
    assert.deepEqual(
      alone[0]!.problems.map((p) => [p.pos?.line, p.message]),
      [[5, 'undefined variable "layer"'], [1, 'undefined variable "layer"']],
    );
    assert.match(alone[0]!.problems[0]!.hint!, /kplay validate PLAYBOOK INVENTORY/);
    const together = validate([path.join(dir, 'pb.yaml'), path.join(dir, 'inv.yaml')]);
    assert.deepEqual(together.map((c) => [c.kind, c.problems]), [['playbook', []], ['inventory', []]]);
  });

  test('host facts are unknown: a port check or a when on them is left to the plan', () => {
    const dir = writeTree({
      'pb.yaml': 'name: t\nhosts: all\ntasks:\n  - name: t\n    when: (eq host.name "cp1")\n    wait_for: {port: "{{host.port}}"}\n',
    });
    assert.deepEqual(validate([path.join(dir, 'pb.yaml')])[0]!.problems, []);
  });
});

test("a command's environment is previewed as the run applies it: to every command of the task", () => {
  const q = planOf(`name: q
hosts: cp1
tasks:
  - name: t
    command:
      cmd: printf '[%s]' "$A" && sh -c 'printf "[%s]" "$A"'
      env: {A: "x y"}
`);
  const s = step(host(q, 'cp1'), 't');
  const a = s.args as { cmd: string; env: Record<string, string> };
  assert.deepEqual(s.preview, [`$ export A='x y'`, `$ ${a.cmd}`]);
  const shown = s.preview.map((l) => l.replace(/^\$ /, '')).join('\n');
  assert.equal(sh(shown), '[x y][x y]', 'the previewed lines, run as written, give both commands the variable');
  assert.equal(sh(taskScript(a.cmd, { env: a.env })), sh(shown), 'and do what the run does');
});
