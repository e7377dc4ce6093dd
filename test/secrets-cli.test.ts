// Secrets through the CLI as a user runs it, with no host needed: plans (text and JSON), dry runs
// of playbooks whose secrets are not set, and runs that refuse before connecting.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { REPO_ROOT, writeTree } from './helpers/files.js';

const BIN = path.join(REPO_ROOT, 'bin/kplay.cjs');

function kplay(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8', env: { ...process.env, KPLAY_STATE_DIR: path.join(cwd, 'state'), ...env }, timeout: 30_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const BECOME_PASSWORD = `sudo pw 'q' "d" $HOME`;

test('kplay plan masks the value of becomePasswordEnv wherever a variable carries it, in text and JSON', () => {
  const dir = writeTree({
    'inv.yaml': 'defaults: {user: admin, becomePasswordEnv: KPLAY_BECOME}\nhosts:\n  h1: {address: 192.0.2.1, become: true}\n',
    // The value reaches the plan the way a user might pass it on: an -e value, a variable built from it, a rollback.
    'pb.yaml': 'name: B\nhosts: all\nvars:\n  pw2: "x{{pw}}"\ntasks:\n  - name: a\n    command: echo {{pw}} {{pw2}}\n    rollback: echo {{pw}}\n',
  });
  for (const output of ['text', 'json']) {
    const r = kplay(['plan', 'pb.yaml', '-i', 'inv.yaml', '-o', output, '-e', `pw=${BECOME_PASSWORD}`], dir, { KPLAY_BECOME: BECOME_PASSWORD });
    assert.equal(r.code, 0, r.err);
    assert.ok(!(r.out + r.err).includes('sudo pw'), `${output}: ${r.out}`);
    const masks = (r.out.match(/\*{8}/g) ?? []).length;
    // text: the command (twice) and the undo; JSON: the same in args and in previews, and the -e value among the plan's inputs.
    assert.equal(masks, output === 'text' ? 3 : 7, r.out);
  }
});

test('a saved plan whose -e value held a secret (masked when it was printed) is refused by run --plan', () => {
  const dir = writeTree({
    'inv.yaml': 'defaults: {user: admin, becomePasswordEnv: KPLAY_BECOME}\nhosts:\n  h1: {address: 192.0.2.1, become: true}\n',
    'pb.yaml': 'name: B\nhosts: all\ntasks:\n  - name: a\n    command: echo {{pw}}\n',
  });
  const env = { KPLAY_BECOME: BECOME_PASSWORD };
  const saved = kplay(['plan', 'pb.yaml', '-i', 'inv.yaml', '-o', 'json', '-e', `pw=${BECOME_PASSWORD}`], dir, env);
  assert.equal(saved.code, 0, saved.err);
  writeFileSync(path.join(dir, 'plan.json'), saved.out);
  const r = kplay(['run', '--plan', 'plan.json'], dir, env);
  assert.equal(r.code, 4, r.out + r.err);
  assert.match(r.err, /-e value "pw" holds a masked secret/);
});

test('a dry run of a playbook whose secrets are not set shows ******** and warns; the run refuses before connecting', () => {
  const dir = writeTree({
    'inv.yaml': 'hosts:\n  h1: {address: 192.0.2.1}\n',
    'pb.yaml': 'name: S\nhosts: all\nsecrets:\n  token: {env: KPLAY_TEST_TOKEN}\n  key: {file: key.txt}\ntasks:\n  - name: a\n    command: use {{token}} {{key}}\n',
  });
  const dry = kplay(['run', 'pb.yaml', '-i', 'inv.yaml', '--dry-run'], dir);
  assert.equal(dry.code, 0, dry.err);
  assert.match(dry.out, /\$ use \*{8} \*{8}/);
  assert.match(dry.err, /^pb\.yaml:4:10: warning: secret "token": environment variable KPLAY_TEST_TOKEN is not set \[E_SECRET\]$/m);
  assert.match(dry.err, /^pb\.yaml:5:8: warning: secret "key": file .*key\.txt does not exist \[E_SECRET\]$/m);
  assert.match(dry.err, /a run stops here, before connecting/);

  const run = kplay(['run', 'pb.yaml', '-i', 'inv.yaml'], dir);
  assert.equal(run.code, 4, run.out + run.err);
  assert.match(run.err, /^pb\.yaml:4:10: error: secret "token": environment variable KPLAY_TEST_TOKEN is not set \[E_SECRET\]$/m);
  assert.match(run.err, /hint: Set it before running kplay: export KPLAY_TEST_TOKEN=/);
  assert.doesNotMatch(run.out + run.err, /host_start|connect/i, 'nothing was connected');
  assert.ok(!existsSync(path.join(dir, 'state', 'runs')) || readdirSync(path.join(dir, 'state', 'runs')).length === 0, 'no run was recorded');
});

test('-e cannot set a secret: exit 4, and the value given is not printed', () => {
  const dir = writeTree({
    'inv.yaml': 'hosts:\n  h1: {address: 192.0.2.1}\n',
    'pb.yaml': 'name: S\nhosts: all\nsecrets:\n  token: {env: KPLAY_TEST_TOKEN}\ntasks:\n  - name: a\n    command: use {{token}}\n',
  });
  const r = kplay(['plan', 'pb.yaml', '-i', 'inv.yaml', '-e', 'token=given-on-the-command-line'], dir);
  assert.equal(r.code, 4, r.out + r.err);
  assert.match(r.err, /-e token: "token" is a secret, and -e cannot set it/);
});

test('no_log: kplay plan shows neither the command nor its rollback, in text or JSON', () => {
  const dir = writeTree({
    'inv.yaml': 'hosts:\n  h1: {address: 192.0.2.1}\n',
    'pb.yaml': 'name: N\nhosts: all\ntasks:\n  - name: quiet\n    no_log: true\n    command: echo hush-hush\n    rollback: echo hush-undo\n',
  });
  for (const output of ['text', 'json']) {
    const r = kplay(['plan', 'pb.yaml', '-i', 'inv.yaml', '-o', output], dir);
    assert.equal(r.code, 0, r.err);
    assert.doesNotMatch(r.out, /hush/);
    assert.match(r.out, /hidden: no_log/);
  }
});
