// Secrets and no_log end to end, against a real sshd host: a secret used in a command and in its
// rollback, with -v and -o json, never appears in kplay's output, in the controller's state folder
// or in the host's journal, and the rollback still works (it reads the secret again).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { REPO_ROOT } from '../helpers/files.js';
import { LAB_ENV, LAB_PASSWORD, sshLabUnavailable, startSshLab } from '../support/sshd-lab.js';
import type { SshLab } from '../support/sshd-lab.js';

const BIN = path.join(REPO_ROOT, 'bin/kplay.cjs');
const TOKEN = `it's "a" $ecret`;
const KEY = 'filekey-4242';
/** Parts of each secret that must not appear anywhere (the values as such, and recognisable pieces). */
const LEAKS = [TOKEN, `it'`, '$ecret', KEY, LAB_PASSWORD, 'lab pw'];

function* walk(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) yield* walk(p);
    else yield p;
  }
}

function assertNoLeak(what: string, text: string): void {
  for (const leak of LEAKS) assert.ok(!text.includes(leak), `${what} shows ${JSON.stringify(leak)}:\n${text}`);
}

describe('secrets on a real host', { skip: sshLabUnavailable() }, () => {
  let lab: SshLab;
  let dir: string;
  let inv: string;
  before(async () => {
    lab = await startSshLab({ hosts: 1 });
    dir = mkdtempSync(path.join(tmpdir(), 'kplay-secrets-'));
    // A password login, and sudo asking for the same password: both secrets of the inventory.
    inv = lab.inventory({
      user: lab.users.sudoerPassword.name,
      defaults: { identityFile: undefined, passwordEnv: LAB_ENV.password, becomePasswordEnv: LAB_ENV.password, stateDir: path.join(dir, 'host-state') },
    });
    writeFileSync(path.join(dir, 'key.txt'), `${KEY}\n`);
    writeFileSync(
      path.join(dir, 'pb.yaml'),
      `name: Secrets
hosts: all
become: true
secrets:
  token: {env: KPLAY_IT_TOKEN}
  key: {file: key.txt}
vars:
  out: ${JSON.stringify(dir)}
  header: "Bearer {{token}}"
tasks:
  - name: use them
    command: printf '%s|%s|%s\\n' {{token}} {{header}} {{key}} > {{out}}/used.txt; echo printed {{token}} {{key}}; echo err {{header}} >&2
    rollback: printf '%s|%s\\n' {{token}} {{header}} > {{out}}/undone.txt; echo undo printed {{token}}
  - name: quiet
    no_log: true
    command: echo quiet-output
`,
    );
  });
  after(async () => {
    await lab?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function kplay(args: string[], env: NodeJS.ProcessEnv = { KPLAY_IT_TOKEN: TOKEN }) {
    const r = spawnSync(process.execPath, [BIN, ...args], {
      cwd: dir,
      encoding: 'utf8',
      env: { ...process.env, SSH_AUTH_SOCK: '', HOME: dir, KPLAY_STATE_DIR: path.join(dir, 'state'), ...lab.env, ...env },
      timeout: 60_000,
    });
    return { code: r.status, out: r.stdout, err: r.stderr };
  }

  function assertStoredNothing(): void {
    const files = [...walk(path.join(dir, 'state')), ...walk(path.join(dir, 'host-state'))];
    assert.ok(files.some((f) => f.includes(`${path.sep}host-state${path.sep}runs${path.sep}`)), `the host keeps a journal: ${files.join(', ')}`);
    for (const f of files) assertNoLeak(f, readFileSync(f, 'utf8'));
  }

  test('-o json and -v: masked events, hidden no_log output; the rollback reads the secret again', () => {
    const r = kplay(['run', 'pb.yaml', '-i', inv, '-o', 'json', '-v']);
    assert.equal(r.code, 0, r.err);
    assertNoLeak('kplay run -o json', r.out + r.err);
    assert.equal(readFileSync(path.join(dir, 'used.txt'), 'utf8'), `${TOKEN}|Bearer ${TOKEN}|${KEY}\n`, 'the command ran with the real values');
    const events = r.out.trim().split('\n').map((l) => JSON.parse(l));
    const used = events.find((e) => e.type === 'task_end' && e.name === 'use them');
    assert.equal(used.stdout, 'printed ******** ********');
    assert.equal(used.stderr, 'err Bearer ********');
    const quiet = events.filter((e) => e.taskId === '2');
    assert.ok(quiet.length >= 2, JSON.stringify(events));
    assert.doesNotMatch(JSON.stringify(quiet), /quiet-output|echo/);
    assert.equal(quiet.find((e) => e.type === 'task_end').status, 'changed');
    assertStoredNothing();

    const runId = events[0].runId as string;
    const rb = kplay(['rollback', runId, '-v']);
    assert.equal(rb.code, 0, rb.out + rb.err);
    assertNoLeak('kplay rollback', rb.out + rb.err);
    assert.equal(readFileSync(path.join(dir, 'undone.txt'), 'utf8'), `${TOKEN}|Bearer ${TOKEN}\n`, 'the undo ran with the real values');
    assertStoredNothing();
  });

  test('text output with -v; a rollback without the secret fails naming it, and works once it is back', () => {
    rmSync(path.join(dir, 'undone.txt'), { force: true });
    const r = kplay(['run', 'pb.yaml', '-i', inv, '-v']);
    assert.equal(r.code, 0, r.err);
    assertNoLeak('kplay run -v', r.out + r.err);
    assert.match(r.out + r.err, /printed \*{8} \*{8}/);
    assert.doesNotMatch(r.out + r.err, /quiet-output/);
    const runId = /^(\d{8}T\d{6}-[0-9a-f]{6})\b/m.exec(kplay(['runs']).out)?.[1];
    assert.ok(runId);

    const without = kplay(['rollback', runId], { KPLAY_IT_TOKEN: undefined });
    assert.equal(without.code, 5, without.out + without.err);
    assert.match(without.out + without.err, /needs the secret "token" from environment variable KPLAY_IT_TOKEN, and environment variable KPLAY_IT_TOKEN is not set/);
    assert.throws(() => readFileSync(path.join(dir, 'undone.txt')), 'nothing was undone');

    const again = kplay(['rollback', runId]);
    assert.equal(again.code, 0, again.out + again.err);
    assertNoLeak('kplay rollback', again.out + again.err);
    assert.equal(readFileSync(path.join(dir, 'undone.txt'), 'utf8'), `${TOKEN}|Bearer ${TOKEN}\n`);
    assertStoredNothing();
  });

  test('a run whose secret is not set stops before connecting: exit 4 at the declaration; its dry run works', () => {
    const logins = () => readFileSync(lab.hosts[0]!.logPath, 'utf8').split('\n').filter((l) => /Accepted password/.test(l)).length;
    const before = logins();
    const r = kplay(['run', 'pb.yaml', '-i', inv], { KPLAY_IT_TOKEN: undefined });
    assert.equal(r.code, 4, r.out + r.err);
    assert.match(r.err, /^pb\.yaml:5:10: error: secret "token": environment variable KPLAY_IT_TOKEN is not set \[E_SECRET\]$/m);
    const dry = kplay(['run', 'pb.yaml', '-i', inv, '--dry-run'], { KPLAY_IT_TOKEN: undefined });
    assert.equal(dry.code, 0, dry.err);
    assert.match(dry.out, /printf '%s\|%s\|%s\\n' \*{8} Bearer \*{8} \*{8} >/);
    assert.equal(logins(), before, 'neither connected to the host');
  });
});
