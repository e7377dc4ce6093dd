import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
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
  const quick = /npm ci && \.\/bin\/kplay\.js (run .+ --dry-run)/.exec(readme);
  assert.ok(quick, 'README has the quick-start command');
  const r = kplay(quick[1]!.split(' '));
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^Plan: Debug kube-apiserver under Delve$/m);
  assert.match(r.out, /Dry run: nothing was connected and nothing changed/);
  assert.match(r.out, /^cp1  \(root@192\.0\.2\.11; groups control-plane\)$/m);
  assert.doesNotMatch(r.out, /^cp2  /m, 'only the node named by --limit');
  assert.match(r.out, /move \/etc\/kubernetes\/manifests\/kube-apiserver\.yaml -> \/etc\/kubernetes\/kplay-backup\/kube-apiserver\.yaml/);
  assert.match(r.out, /start detached: dlv exec \/var\/lib\/kplay\/debug\/kube-apiserver --headless --listen=127\.0\.0\.1:2345 --api-version=2 --accept-multiclient --continue -- <args\(value of "Read the flags back"\)>/);
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

test('a reader that closes the pipe early (kplay runs | head -1) ends a read-only command quietly, exit 0', async () => {
  const state = writeTree({});
  const commands = [
    ['runs'],
    ['list'],
    ['validate', path.join(REPO_ROOT, 'playbooks/inspect-node.yaml')],
    ['plan', 'inspect-node.yaml', '-i', EXAMPLE_INVENTORY],
    ['run', 'inspect-node.yaml', '-i', EXAMPLE_INVENTORY, '--dry-run'],
  ];
  for (const args of commands) {
    const r = await kplayIntoClosedPipe(args, { env: { KPLAY_STATE_DIR: state } });
    assert.equal(r.err, '', `kplay ${args.join(' ')}: nothing on stderr`);
    assert.equal(r.code, 0, `kplay ${args.join(' ')}: exit 0`);
  }
});

/** A run's record as the engine writes it. */
function runRecord(runId: string, state: RunRecord['state'], hosts: RunRecord['hosts']): RunRecord {
  return { runId, playbook: 'p', playbookFile: 'p.yaml', inventoryFile: 'i.yaml', started: new Date().toISOString(), pid: process.pid, state, hosts, hostState: {} };
}

test('kplay runs shows a finished run with nothing left to undo as done, not as changes in place', () => {
  const state = writeTree({});
  const record = (runId: string) => runRecord(runId, 'committed', { h1: { name: 'h1' } });
  RunStore.create(state, record('20260101-000001-aaaa'));
  const withChange = RunStore.create(state, record('20260101-000002-bbbb'));
  const time = new Date().toISOString();
  const undo = { name: 'rm', kind: 'command' as const, args: { cmd: 'true' }, become: false, local: false, timeoutMs: 1000, userWritten: true };
  withChange.append({ change: 1, host: 'h1', taskId: 't', task: 't', phase: 'intent', undo, time });
  withChange.append({ change: 1, host: 'h1', taskId: 't', task: 't', phase: 'done', time });
  const r = kplay(['runs'], REPO_ROOT, { KPLAY_STATE_DIR: state });
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^20260101-000001-aaaa +done \(nothing to undo\) /m);
  assert.match(r.out, /^20260101-000002-bbbb +changes in place \(committed\) .* 1 change to undo$/m);
});

test('validate of a playbook with the task file it includes reports each problem once', () => {
  const dir = writeTree({
    'pb.yaml': 'name: p\nhosts: all\ntasks:\n  - name: inc\n    include: lib/t.yaml\n',
    'lib/t.yaml': '- name: x\n  comand: "true"\n',
  });
  const r = kplay(['validate', 'pb.yaml', 'lib/t.yaml'], dir);
  assert.equal(r.code, 4);
  assert.equal(r.err.match(/lib\/t\.yaml:2:3: error: task "x": unknown key "comand"/g)?.length, 1, r.err);
  assert.match(r.err, /^1 error$/m);
});

test('validate DIR checks every .yaml and .yml file under it, at any depth; an empty folder is an error', () => {
  const dir = writeTree({
    'ci/pb.yaml': 'name: p\nhosts: all\ntasks:\n  - name: inc\n    include: lib/t.yml\n',
    'ci/lib/t.yml': '- name: x\n  command: "true"\n',
    'ci/lib/deeper/inv.yaml': 'hosts:\n  n1: {address: 10.0.0.1}\n',
    'ci/lib/deeper/bad.yaml': 'name: b\nhosts: all\ntasks: []\n',
    'ci/.hidden/ignored.yaml': 'not: [valid',
    'ci/notes.txt': 'not YAML',
    'empty/README': '',
  });
  const r = kplay(['validate', 'ci'], dir);
  assert.equal(r.code, 4, r.err);
  assert.deepEqual(r.out.trim().split('\n'), ['ok  ci/lib/deeper/inv.yaml (inventory)', 'ok  ci/lib/t.yml (tasks)', 'ok  ci/pb.yaml (playbook)']);
  assert.match(r.err, /^ci\/lib\/deeper\/bad\.yaml:3:\d+: error: /m);
  assert.doesNotMatch(r.err, /hidden|notes/);
  const empty = kplay(['validate', 'empty'], dir);
  assert.equal(empty.code, 4);
  assert.match(empty.err, /empty is a folder with no \.yaml or \.yml file in it/);
});

test('kplay runs --prune removes finished runs and keeps those with changes left to undo', () => {
  const state = writeTree({});
  const refused = runRecord('20260101-000001-aaaa', 'refused', {});
  RunStore.create(state, refused);
  const withChange = RunStore.create(state, runRecord('20260101-000002-bbbb', 'committed', {}));
  const time = new Date().toISOString();
  const undo = { name: 'rm', kind: 'command' as const, args: { cmd: 'true' }, become: false, local: false, timeoutMs: 1000, userWritten: true };
  withChange.append({ change: 1, host: 'h1', taskId: 't', task: 't', phase: 'intent', undo, time });
  const r = kplay(['runs', '--prune'], REPO_ROOT, { KPLAY_STATE_DIR: state });
  assert.equal(r.code, 0, r.err);
  assert.equal(r.out, 'pruned 20260101-000001-aaaa\n');
  assert.equal(new RunStore(state, refused.runId).exists(), false);
  assert.match(kplay(['runs'], REPO_ROOT, { KPLAY_STATE_DIR: state }).out, /^20260101-000002-bbbb +changes in place/m);
  assert.equal(kplay(['runs', '--prune'], REPO_ROOT, { KPLAY_STATE_DIR: state }).out, 'no finished run to prune\n');
});
