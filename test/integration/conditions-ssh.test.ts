// A rolling check as a team coming from Ansible writes it, run for real over SSH against three
// sshd hosts (test/support/sshd-lab.ts): registered output judged by failed_when and changed_when,
// set_fact, debug (with a secret, masked), assert with fail_msg, and become_user. One host fails
// its check: its change is undone, the others keep theirs, and the run exits 2.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { KPLAY_BIN } from '../helpers/cli.js';
import { sshLabUnavailable, startSshLab } from '../support/sshd-lab.js';
import type { SshLab } from '../support/sshd-lab.js';

const TOKEN = 'tok-3f9a-rolling-secret';

describe('a rolling check with registered output, conditions, facts and become_user', { skip: sshLabUnavailable() }, () => {
  let lab: SshLab;
  let dir: string;
  before(async () => {
    lab = await startSshLab({ hosts: 3 });
    dir = mkdtempSync(path.join(tmpdir(), 'kplay-conds-'));
    chmodSync(dir, 0o755);
    // Each host's "load", as a monitoring command would print it; h3's is too high.
    for (const [h, load] of [['h1', '3'], ['h2', '2'], ['h3', '9']]) writeFileSync(path.join(dir, `load-${h}`), `${load}\n`);
    writeFileSync(
      path.join(dir, 'pb.yaml'),
      `name: Rolling check
hosts: all
serial: 1
secrets:
  token: {env: KPLAY_IT_TOKEN}
vars:
  out: ${JSON.stringify(dir)}
  max_load: "5"
tasks:
  - name: read the load
    command: cat {{out}}/load-{{host.name}}; grep -c . {{out}}/missing-{{host.name}}
    register: load
    # grep exits 2 for the missing file: the load is still good to use.
    failed_when: (eq load.stdout "")
    changed_when: false
  - name: remember it
    set_fact:
      load_now: "{{load.lines.[0]}}"
      auth: "Bearer {{token}}"
  - name: show it
    debug: {msg: "load {{load_now}} using {{auth}}"}
  - name: as the service user
    command: id -un
    become: true
    become_user: ${lab.users.sudoer}
    register: who
    changed_when: false
  - name: mark the host
    command: touch {{out}}/marked-{{host.name}} && echo touched
    rollback: rm -f {{out}}/marked-{{host.name}}
    changed_when: (eq result.stdout "touched")
  - name: check the load
    assert:
      that:
        - (eq who.stdout "${lab.users.sudoer}")
        - (lt load_now max_load)
      fail_msg: "load {{load_now}} on {{host.name}} is over {{max_load}}"
      success_msg: "load {{load_now}} is fine"
`,
    );
  });
  /** The built CLI, run in the test's folder with the secret in its environment and its own state folder. */
  function kplayRun(args: string[]) {
    return spawnSync(process.execPath, [KPLAY_BIN, ...args], {
      cwd: dir,
      encoding: 'utf8',
      env: { ...process.env, SSH_AUTH_SOCK: '', HOME: dir, KPLAY_STATE_DIR: path.join(dir, 'state'), KPLAY_IT_TOKEN: TOKEN, NO_COLOR: '1' },
      timeout: 120_000,
    });
  }

  after(async () => {
    await lab?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('the failing host is put back and named; the output shows facts and masks the secret', () => {
    const inv = lab.inventory({ defaults: { stateDir: path.join(dir, 'host-state') } });
    const r = kplayRun(['run', 'pb.yaml', '-i', inv, '-o', 'json']);
    assert.equal(r.status, 2, r.stdout + r.stderr);
    assert.doesNotMatch(r.stdout + r.stderr, new RegExp(TOKEN), 'the secret never shows');
    const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const end = (host: string, name: string) => events.find((e) => e.type === 'task_end' && e.host === host && e.name === name)!;

    for (const [h, load] of [['h1', '3'], ['h2', '2']] as const) {
      assert.equal(end(h, 'read the load').status, 'ok', 'failed_when false: grep exit 2 is no failure; changed_when false');
      assert.equal(end(h, 'read the load').rc, 2);
      assert.equal(end(h, 'show it').message, `load ${load} using Bearer ********`);
      assert.equal(end(h, 'as the service user').status, 'ok');
      assert.equal(end(h, 'mark the host').status, 'changed');
      assert.equal(end(h, 'check the load').message, `load ${load} is fine`);
      assert.ok(existsSync(path.join(dir, `marked-${h}`)), `${h} keeps its change`);
    }
    const failed = end('h3', 'check the load');
    assert.equal(failed.status, 'failed');
    assert.equal(failed.code, 'E_ASSERT');
    assert.equal(failed.message, 'load 9 on h3 is over 5');
    assert.equal(existsSync(path.join(dir, 'marked-h3')), false, 'h3 was put back');
    const hostEnd = events.find((e) => e.type === 'host_end' && e.host === 'h3');
    assert.equal(hostEnd?.status, 'failed');
  });

  test('in text output, debug and assert say their message on the host line', () => {
    const inv = lab.inventory({ hosts: ['h1'], defaults: { stateDir: path.join(dir, 'host-state') } });
    const r = kplayRun(['run', 'pb.yaml', '-i', inv]);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.doesNotMatch(r.stdout + r.stderr, new RegExp(TOKEN));
    assert.match(r.stdout, /^h1 \| 3 show it \.\.\. ok \([^)]*\): load 3 using Bearer \*{8}$/m);
    assert.match(r.stdout, /^h1 \| 6 check the load \.\.\. ok \([^)]*\): load 3 is fine$/m);
  });

  test('the dry run shows what each check, fact and message will be', () => {
    const inv = lab.inventory({ defaults: { stateDir: path.join(dir, 'host-state') } });
    const r = spawnSync(process.execPath, [KPLAY_BIN, 'plan', 'pb.yaml', '-i', inv, '--limit', 'h1'], { cwd: dir, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /remember it \[set_fact\]\n\s+set load_now = "<lines\.0 of \\"read the load\\">"\n\s+set auth = "Bearer \*{8}"/);
    assert.match(r.stdout, /as the service user \[command; sudo -u kplay-sudoer\]/);
    assert.match(r.stdout, /check the load \[assert\]\n\s+check \(eq who\.stdout "kplay-sudoer"\)\n\s+check \(lt load_now max_load\)/);
  });
});
