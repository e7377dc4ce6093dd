import assert from 'node:assert/strict';
import { appendFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { kplay as runKplay, kplayIntoClosedPipe } from './helpers/cli.js';
import { REPO_ROOT, writeTree } from './helpers/files.js';
import { RunStore } from '../src/journal/run-store.js';
import type { RunRecord } from '../src/journal/run-store.js';

const EXAMPLE_INVENTORY = path.join(REPO_ROOT, 'inventory.example.yaml');

const kplay = (args: string[], cwd = REPO_ROOT, env: NodeJS.ProcessEnv = {}) => runKplay(args, { cwd, env });

test('--version prints the package version', () => {
  const { version } = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8'));
  const r = kplay(['--version']);
  assert.equal(r.code, 0);
  assert.equal(r.out.trim(), version);
});

test('the README quick start runs as written and prints the plan', () => {
  const readme = readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
  const quick = /npm ci && \.\/bin\/kplay\.cjs (run .+ --dry-run)/.exec(readme);
  assert.ok(quick, 'README has the quick-start command');
  const r = kplay(quick[1]!.split(' '));
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^Plan: Debug kube-apiserver under Delve$/m);
  assert.match(r.out, /Dry run: nothing was connected and nothing changed/);
  assert.match(r.out, /^cp1  \(root@192\.0\.2\.11; groups control-plane\)$/m);
  assert.doesNotMatch(r.out, /^cp2  /m, 'only the node named by --limit');
  assert.match(r.out, /move \/etc\/kubernetes\/manifests\/kube-apiserver\.yaml -> \/etc\/kubernetes\/kplay-backup\/kube-apiserver\.yaml/);
  assert.match(r.out, /start detached: '<stdout of "Find Delve on the node">' exec \/var\/lib\/kplay\/debug\/kube-apiserver --headless --listen=127\.0\.0\.1:2345 --api-version=2 --accept-multiclient --continue -- <args\(value of "Read the flags back"\)>/);
  assert.match(r.out, /forward controller 127\.0\.0\.1:2345 -> host 127\.0\.0\.1:2345/);
});

test('a shipped playbook is found by name from any folder', () => {
  const elsewhere = writeTree({});
  const r = kplay(['plan', 'inspect-node', '-i', EXAMPLE_INVENTORY, '--limit', 'cp1', '-o', 'json'], elsewhere);
  assert.equal(r.code, 0, r.err);
  const plan = JSON.parse(r.out);
  assert.equal(plan.playbook.name, 'Inspect a Kubernetes node');
  assert.deepEqual(plan.hosts.map((h: { name: string }) => h.name), ['cp1']);
  assert.equal(plan.hosts[0].steps.length, 6);
});

test('run --dry-run and plan print the same plan', () => {
  const a = kplay(['run', 'inspect-node.yaml', '-i', EXAMPLE_INVENTORY, '--dry-run', '-o', 'json']);
  const b = kplay(['plan', 'inspect-node.yaml', '-i', EXAMPLE_INVENTORY, '-o', 'json']);
  assert.equal(a.code, 0);
  assert.equal(a.out, b.out);
});

test('validate accepts every shipped playbook, task file and the example inventory', () => {
  const r = kplay(['validate', 'playbooks/inspect-node.yaml', 'playbooks/lib/tool-versions.yaml', 'inventory.example.yaml']);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^ok {2}playbooks\/inspect-node\.yaml \(playbook\)$/m);
  assert.match(r.out, /^ok {2}playbooks\/lib\/tool-versions\.yaml \(tasks\)$/m);
  assert.match(r.out, /^ok {2}inventory\.example\.yaml \(inventory\)$/m);
});

test('validate -o json reports every file, good and bad', () => {
  const dir = writeTree({ 'good.yaml': 'name: g\nhosts: all\ntasks:\n  - name: t\n    command: "true"\n', 'bad.yaml': 'name: b\nhosts: all\ntasks: []\n' });
  const r = kplay(['validate', 'good.yaml', 'bad.yaml', '-o', 'json'], dir);
  assert.equal(r.code, 4);
  const results = JSON.parse(r.out);
  assert.equal(results[0].problems.length, 0);
  assert.equal(results[1].problems[0].code, 'E_SCHEMA');
  assert.deepEqual(results[1].problems[0].pos, { file: 'bad.yaml', line: 3, col: 8 });
});

test('list shows shipped playbooks with descriptions and variables', () => {
  const r = kplay(['list']);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^inspect-node\.yaml {2}Inspect a Kubernetes node$/m);
  assert.match(r.out, /component = "kube-apiserver"/);
  assert.match(r.out, /Folder the kubelet watches for static-pod manifests/);
  const json = JSON.parse(kplay(['list', '-o', 'json']).out);
  const inspect = json.find((p: { file: string }) => p.file === 'inspect-node.yaml');
  assert.deepEqual(inspect.variables.map((v: { name: string }) => v.name), ['component', 'manifest_dir']);
  assert.ok(inspect.variables.every((v: { description?: string }) => v.description));
});

test('every shipped playbook documents every variable it defines', () => {
  const json = JSON.parse(kplay(['list', '-o', 'json']).out);
  for (const p of json) {
    assert.deepEqual(p.problems, [], `${p.file} loads cleanly`);
    for (const v of p.variables) assert.ok(v.description, `${p.file}: variable ${v.name} has a description`);
  }
});

test('help exits 0 and lists the commands', () => {
  const r = kplay(['--help']);
  assert.equal(r.code, 0);
  for (const c of ['validate', 'run', 'plan', 'list']) assert.match(r.out, new RegExp(`^  ${c}\\b`, 'm'));
});

test('errors in --output json mode are JSON on stdout', () => {
  const dir = writeTree({ 'pb.yaml': 'name: x\nhosts: nope\ntasks:\n  - name: t\n    command: "true"\n' });
  const r = kplay(['plan', 'pb.yaml', '-i', EXAMPLE_INVENTORY, '-o', 'json'], dir);
  assert.equal(r.code, 4);
  const body = JSON.parse(r.out);
  assert.equal(body.error.code, 'E_INVENTORY');
  assert.deepEqual(body.error.problems[0].pos, { file: 'pb.yaml', line: 2, col: 8 });
});

describe('run --plan FILE: a saved plan runs only as it was made', () => {
  const PB = 'name: Saved\nhosts: all\ntasks:\n  - name: inc\n    include: lib/tasks.yaml\n';
  const TASKS = '- name: hello\n  command: echo {{greeting}} {{host.name}}\n- name: render\n  template: {src: t.hbs, dest: "/tmp/kplay-saved-{{host.name}}"}\n';
  const INV = 'vars: {greeting: hi}\nhosts:\n  n1: {address: 192.0.2.1}\n';

  /** A folder with a playbook, a task file, a template file, an inventory and the plan saved from them. */
  function saved(): string {
    const dir = writeTree({ 'pb.yaml': PB, 'lib/tasks.yaml': TASKS, 'lib/t.hbs': '{{greeting}}\n', 'inv.yaml': INV, 'ev.yaml': 'extra: 1\n' });
    const r = kplay(['plan', 'pb.yaml', '-i', 'inv.yaml', '-e', '@ev.yaml', '-o', 'json'], dir);
    assert.equal(r.code, 0, r.err);
    writeFileSync(path.join(dir, 'plan.json'), r.out);
    return dir;
  }

  test('an unchanged plan is built again and is the same (shown here with --dry-run)', () => {
    const dir = saved();
    const r = kplay(['run', '--plan', 'plan.json', '--dry-run', '-o', 'json'], dir);
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(JSON.parse(r.out), JSON.parse(readFileSync(path.join(dir, 'plan.json'), 'utf8')));
  });

  for (const file of ['pb.yaml', 'lib/tasks.yaml', 'lib/t.hbs', 'inv.yaml', 'ev.yaml']) {
    test(`a change to ${file} since the plan was saved refuses the run, naming it`, () => {
      const dir = saved();
      appendFileSync(path.join(dir, file), '\n');
      // Not a dry run: the refusal comes before any host is connected (192.0.2.1 is unroutable).
      const r = kplay(['run', '--plan', 'plan.json'], dir);
      assert.equal(r.code, 4, r.err);
      assert.match(r.err, new RegExp(`error: ${file.replace('.', '\\.')} changed since the plan was made \\[E_PLAN\\]`));
      assert.match(r.err, /hint: Make the plan again/);
    });
  }

  test('a removed file refuses the run too', () => {
    const dir = saved();
    rmSync(path.join(dir, 'lib/t.hbs'));
    const r = kplay(['run', '--plan', 'plan.json'], dir);
    assert.equal(r.code, 4, r.err);
    assert.match(r.err, /error: lib\/t\.hbs was removed or cannot be read since the plan was made/);
  });

  test('an edited plan (one that the same files do not give) is refused, saying where it differs', () => {
    const dir = saved();
    const file = path.join(dir, 'plan.json');
    writeFileSync(file, readFileSync(file, 'utf8').replace('echo hi n1', 'echo hi n1; reboot'));
    const r = kplay(['run', '--plan', 'plan.json'], dir);
    assert.equal(r.code, 4, r.err);
    assert.match(r.err, /gives a different plan \(at hosts\[0\]\.steps\[0\]\.args\.cmd: saved "echo hi n1; reboot", now "echo hi n1"\) \[E_PLAN\]/);
  });

  test('another plan version, or a file that is not a plan, is refused', () => {
    const dir = saved();
    const plan = JSON.parse(readFileSync(path.join(dir, 'plan.json'), 'utf8'));
    writeFileSync(path.join(dir, 'old.json'), JSON.stringify({ ...plan, planVersion: 1 }));
    writeFileSync(path.join(dir, 'events.json'), '{"type":"run_start"}\n{"type":"run_end"}\n');
    const old = kplay(['run', '--plan', 'old.json'], dir);
    assert.equal(old.code, 4, old.err);
    assert.match(old.err, /error: --plan old\.json: plan version 1 is not the one this kplay runs \(2\) \[E_PLAN\]/);
    const events = kplay(['run', '--plan', 'events.json'], dir);
    assert.equal(events.code, 4, events.err);
    assert.match(events.err, /error: --plan events\.json: not a plan saved with -o json/);
    const missing = kplay(['run', '--plan', 'nope.json'], dir);
    assert.equal(missing.code, 4, missing.err);
    assert.match(missing.err, /error: file not found: nope\.json \[E_FILE\]/);
  });

  test('a plan made in another folder says to run it from there', () => {
    const dir = saved();
    const r = kplay(['run', '--plan', path.join(dir, 'plan.json')], REPO_ROOT);
    assert.equal(r.code, 4, r.err);
    assert.match(r.err, new RegExp(`this plan was made in ${dir}`));
  });

  test('--plan with a playbook, -i, -e, --limit or --tags is a usage error', () => {
    const dir = saved();
    for (const extra of [['pb.yaml'], ['-i', 'inv.yaml'], ['-e', 'x=1'], ['--limit', 'n1'], ['--tags', 'a'], ['--skip-tags', 'a']]) {
      const r = kplay(['run', '--plan', 'plan.json', ...extra], dir);
      assert.equal(r.code, 4, `${extra.join(' ')}: ${r.err}`);
      assert.match(r.err, /error: --plan runs a saved plan with the inputs it was made with; it takes no .+ \[E_USAGE\]/, extra.join(' '));
    }
    const none = kplay(['run', '-i', 'inv.yaml'], dir);
    assert.equal(none.code, 4, none.err);
    assert.match(none.err, /error: missing the playbook to run \[E_USAGE\]/);
    const noInventory = kplay(['run', 'pb.yaml'], dir);
    assert.equal(noInventory.code, 4, noInventory.err);
    assert.match(noInventory.err, /-i, --inventory/);
  });
});
