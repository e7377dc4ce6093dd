// Fault tests: whatever goes wrong (a failing task, Ctrl-C, kplay killed, a host lost, a failing
// undo, a backup target in the way, a second run), every file kplay moved or replaced comes back
// byte-identical. Real sshd hosts from the lab; the files live under a folder per host.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { kplay as runKplay, kplayAsync as startKplay } from '../helpers/cli.js';
import { sshLabUnavailable, startSshLab } from '../support/sshd-lab.js';
import type { SshLab } from '../support/sshd-lab.js';

const HOSTS = ['h1', 'h2', 'h3'];

describe('safe changes: undo, journal, interrupts, kplay rollback', { skip: sshLabUnavailable() }, () => {
  let lab: SshLab;
  let dir: string;
  let base: string;
  let state: string;
  let inv: string;
  const original = new Map<string, string>();

  before(async () => {
    lab = await startSshLab({ hosts: 3 });
  });
  after(async () => lab?.close());

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'kplay-safety-'));
    base = path.join(dir, 'hosts');
    state = path.join(dir, 'state');
    // The lab's hosts share one filesystem; a state folder each keeps their locks and journals apart, as on real hosts.
    inv = lab.inventory({ hosts: HOSTS, extra: { vars: { base } }, hostSettings: Object.fromEntries(HOSTS.map((h) => [h, { stateDir: path.join(base, h, '.kplay') }])) });
    for (const h of HOSTS) {
      mkdirSync(path.join(base, h, 'manifests'), { recursive: true });
      mkdirSync(path.join(base, h, 'backup'), { recursive: true });
      // Each host's manifest differs, so a file moved back to the wrong host would show.
      const manifest = `apiVersion: v1\nkind: Pod\nmetadata: {name: kube-apiserver-${h}}\n# ${'x'.repeat(2000)}\n`;
      writeFileSync(path.join(base, h, 'manifests', 'kube-apiserver.yaml'), manifest);
      writeFileSync(path.join(base, h, 'config'), `old config of ${h}\n`);
      original.set(h, sha(manifest));
    }
  });

  function sha(s: string | Buffer): string {
    return createHash('sha256').update(s).digest('hex');
  }

  function manifest(h: string): string {
    return path.join(base, h, 'manifests', 'kube-apiserver.yaml');
  }

  function assertRestored(h: string): void {
    assert.ok(existsSync(manifest(h)), `${h}: the manifest is back`);
    assert.equal(sha(readFileSync(manifest(h))), original.get(h), `${h}: byte-identical`);
    assert.equal(existsSync(path.join(base, h, 'backup', 'kube-apiserver.yaml')), false, `${h}: no copy left in the backup folder`);
    assert.equal(readFileSync(path.join(base, h, 'config'), 'utf8'), `old config of ${h}\n`, `${h}: the replaced file is restored`);
  }

  function assertMoved(h: string): void {
    assert.equal(existsSync(manifest(h)), false, `${h}: the manifest is out`);
    assert.equal(sha(readFileSync(path.join(base, h, 'backup', 'kube-apiserver.yaml'))), original.get(h));
  }

  const env = () => ({ ...process.env, SSH_AUTH_SOCK: '', KPLAY_STATE_DIR: state });

  const kplay = (args: string[]) => runKplay(args, { cwd: dir, env: env(), timeoutMs: 90_000 });
  const kplayAsync = (args: string[]) => startKplay(args, { cwd: dir, env: env() });

  async function until(cond: () => boolean, what: string, ms = 20_000): Promise<void> {
    const t0 = Date.now();
    while (!cond()) {
      if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /**
   * Every host named has started the task called `task` (the plain reporter's "h1 | 3 Long ...").
   * A host starts a task only after its earlier tasks ended, so their undos are journaled by then;
   * the name seen on one host is not enough: another may still be in an earlier task.
   */
  function started(out: string, task: string, hosts = HOSTS): boolean {
    return hosts.every((h) => new RegExp(`^${h} +\\| \\S+ ${task} \\.\\.\\.`, 'm').test(out));
  }

  const STOP = `  - name: Move the manifest out of the kubelet's folder
    move:
      src: "{{base}}/{{host.name}}/manifests/kube-apiserver.yaml"
      dest: "{{base}}/{{host.name}}/backup/kube-apiserver.yaml"
  - name: Replace the config
    copy: {content: "new config\\n", dest: "{{base}}/{{host.name}}/config", backup: true}
`;

  function playbook(rest: string, name = 'pb.yaml'): string {
    writeFileSync(path.join(dir, name), `name: Safety\nhosts: all\ntasks:\n${STOP}${rest}`);
    return name;
  }

  function runIdOf(out: string): string {
    const runs = JSON.parse(kplay(['runs', '-o', 'json']).out) as { runId: string }[];
    assert.ok(runs.length, `a run was recorded; output:\n${out}`);
    return runs[0]!.runId;
  }

  test('1. a task fails on 1 of 3 hosts: that host is restored, the others finish, exit 2', () => {
    const pb = playbook('  - name: Fails on h2\n    command: test {{host.name}} != h2\n  - name: After\n    command: echo after\n');
    const r = kplay(['run', pb, '-i', inv]);
    assert.equal(r.code, 2, r.out + r.err);
    assertRestored('h2');
    assertMoved('h1');
    assertMoved('h3');
    assert.match(r.out, /h1 .*After/);
    assert.doesNotMatch(r.out, /h2 .*After/);
    const runs = JSON.parse(kplay(['runs', '-o', 'json']).out);
    assert.equal(runs[0].state, 'committed');
    // A committed run can still be undone on purpose.
    const rb = kplay(['rollback', runs[0].runId]);
    assert.equal(rb.code, 0, rb.out + rb.err);
    for (const h of HOSTS) assertRestored(h);
    // Twice is safe: nothing is left to do.
    assert.equal(kplay(['rollback', runs[0].runId]).code, 0);
    for (const h of HOSTS) assertRestored(h);
  });

  test('2. SIGINT in the middle of a run: every host is restored, exit 130', async () => {
    const pb = playbook('  - name: Long\n    command: sleep 30\n');
    const run = kplayAsync(['run', pb, '-i', inv]);
    await until(() => HOSTS.every((h) => !existsSync(manifest(h))), 'the manifests to be moved');
    await until(() => started(run.output(), 'Long'), 'the long task to start on every host');
    run.child.kill('SIGINT');
    const r = await run.exited;
    assert.equal(r.code, 130, r.out);
    for (const h of HOSTS) assertRestored(h);
    assert.equal(JSON.parse(kplay(['runs', '-o', 'json']).out)[0].state, 'rolled_back');
  });

  test('3. kplay killed with SIGKILL mid-run, then kplay rollback: restored', async () => {
    const pb = playbook('  - name: Long\n    command: sleep 30\n');
    const run = kplayAsync(['run', pb, '-i', inv]);
    await until(() => HOSTS.every((h) => !existsSync(manifest(h))), 'the manifests to be moved');
    await until(() => started(run.output(), 'Long'), 'the long task to start on every host');
    run.child.kill('SIGKILL');
    await run.exited;
    const listed = JSON.parse(kplay(['runs', '-o', 'json']).out);
    assert.equal(listed[0].state, 'crashed');
    assert.ok(listed[0].pending >= 6, `two undos journaled on each of 3 hosts; runs says: ${JSON.stringify(listed[0])}`);
    const rb = kplay(['rollback']);
    assert.equal(rb.code, 0, rb.out + rb.err);
    for (const h of HOSTS) assertRestored(h);
    assert.equal(JSON.parse(kplay(['runs', '-o', 'json']).out)[0].state, 'rolled_back');
  });

  test('3b. the controller loses its state folder too: the hosts\' own journals are enough for kplay rollback -i', async () => {
    const pb = playbook('  - name: Long\n    command: sleep 30\n');
    const run = kplayAsync(['run', pb, '-i', inv]);
    await until(() => HOSTS.every((h) => !existsSync(manifest(h))) && started(run.output(), 'Long'), 'the changes to be made');
    const runId = runIdOf(run.output());
    run.child.kill('SIGKILL');
    await run.exited;
    rmSync(state, { recursive: true, force: true });
    assert.equal(kplay(['rollback', runId]).code, 4, 'without its record, the run is unknown here');
    const rb = kplay(['rollback', runId, '-i', inv]);
    assert.equal(rb.code, 0, rb.out + rb.err);
    for (const h of HOSTS) assertRestored(h);
  });

  test('4. the sshd of one host dies mid-run: unreachable; once it is back, kplay rollback restores it', async () => {
    const pb = playbook('  - name: Wait\n    command: sleep 4\n');
    const run = kplayAsync(['run', pb, '-i', inv]);
    await until(() => !existsSync(manifest('h2')) && existsSync(path.join(base, 'h2', 'backup', 'config')) === false && started(run.output(), 'Wait', ['h2']), 'h2 to be changed');
    await lab.host('h2').stop({ sessions: true });
    const r = await run.exited;
    assert.equal(r.code, 3, r.out);
    assert.match(r.out, /h2.*unreachable|unreachable.*h2/s);
    assertMoved('h2');
    await lab.host('h2').start();
    const runId = runIdOf(r.out);
    assert.equal(JSON.parse(kplay(['runs', '-o', 'json']).out)[0].state, 'host_lost');
    const rb = kplay(['rollback', runId]);
    assert.equal(rb.code, 0, rb.out + rb.err);
    for (const h of HOSTS) assertRestored(h);
  });

  test('5. an undo fails: exit 5, the journal keeps it, a later kplay rollback finishes it', () => {
    const gate = path.join(dir, 'undo-allowed');
    const pb = playbook(
      `  - name: Needs a gate to undo
    command: touch {{base}}/{{host.name}}/marker
    rollback: test -e ${gate} && rm {{base}}/{{host.name}}/marker
  - name: Fails on h1
    command: test {{host.name}} != h1
`,
    );
    const r = kplay(['run', pb, '-i', inv]);
    assert.equal(r.code, 5, r.out + r.err);
    assert.match(r.err, /rollback is incomplete/);
    assert.match(r.err, /kplay rollback \d{8}T\d{6}-[0-9a-f]{6}/);
    assertMoved('h1'); // the failed undo stopped the rollback before the older changes
    assert.ok(existsSync(path.join(base, 'h1', 'marker')));
    const listed = JSON.parse(kplay(['runs', '-o', 'json']).out);
    assert.equal(listed[0].state, 'rollback_incomplete');
    writeFileSync(gate, '');
    const rb = kplay(['rollback']);
    assert.equal(rb.code, 0, rb.out + rb.err);
    for (const h of HOSTS) assertRestored(h);
    assert.equal(existsSync(path.join(base, 'h1', 'marker')), false);
  });

  test('6. a move target that already exists: the run refuses before changing anything, on any host', () => {
    writeFileSync(path.join(base, 'h3', 'backup', 'kube-apiserver.yaml'), 'a backup from an earlier run\n');
    const pb = playbook('  - name: After\n    command: echo after\n');
    const r = kplay(['run', pb, '-i', inv]);
    assert.equal(r.code, 4, r.out + r.err);
    assert.match(r.out + r.err, /kube-apiserver\.yaml already exists/);
    for (const h of HOSTS) {
      assert.equal(sha(readFileSync(manifest(h))), original.get(h), `${h} untouched`);
      assert.equal(readFileSync(path.join(base, h, 'config'), 'utf8'), `old config of ${h}\n`);
    }
    assert.equal(readFileSync(path.join(base, 'h3', 'backup', 'kube-apiserver.yaml'), 'utf8'), 'a backup from an earlier run\n');
  });

  test('7. a second run against a host that a running or detached run holds refuses, naming it', async () => {
    const pb = playbook('  - name: Long\n    command: sleep 30\n');
    const first = kplayAsync(['run', pb, '-i', inv, '--limit', 'h1']);
    await until(() => !existsSync(manifest('h1')) && started(first.output(), 'Long', ['h1']), 'the first run to change h1');
    const firstId = runIdOf(first.output());
    writeFileSync(path.join(dir, 'other.yaml'), 'name: Other\nhosts: all\ntasks:\n  - name: t\n    command: touch {{base}}/{{host.name}}/other\n');
    const second = kplay(['run', 'other.yaml', '-i', inv, '--limit', 'h1']);
    assert.equal(second.code, 4, second.out + second.err);
    assert.match(second.out + second.err, new RegExp(`locked by run ${firstId}`));
    assert.equal(existsSync(path.join(base, 'h1', 'other')), false);
    first.child.kill('SIGINT');
    assert.equal((await first.exited).code, 130);
    assertRestored('h1');

    // Detached: the changes and the lock stay until kplay rollback.
    writeFileSync(path.join(dir, 'hold.yaml'), `name: Hold\nhosts: all\ntasks:\n${STOP}  - name: Debug\n    hold: {message: attach now}\n`);
    const detached = kplay(['run', 'hold.yaml', '-i', inv, '--limit', 'h2', '--detach']);
    assert.equal(detached.code, 0, detached.out + detached.err);
    const m = /kplay rollback (\S+)/.exec(detached.err);
    assert.ok(m, detached.err);
    assertMoved('h2');
    assert.match(kplay(['runs']).out, /changes in place \(detached\)/);
    const blocked = kplay(['run', 'other.yaml', '-i', inv, '--limit', 'h2']);
    assert.equal(blocked.code, 4);
    assert.match(blocked.out + blocked.err, new RegExp(`locked by run ${m[1]}`));
    assert.equal(kplay(['rollback', m[1]!]).code, 0);
    assertRestored('h2');
    const free = kplay(['run', 'other.yaml', '-i', inv, '--limit', 'h2']);
    assert.equal(free.code, 0, free.out + free.err);
  });

  test('8. kplay rollback leaves a file changed since kplay wrote it (exit 5, journal kept) until --force, which keeps the changed one', () => {
    const r = kplay(['run', playbook('  - name: After\n    command: echo after\n'), '-i', inv]);
    assert.equal(r.code, 0, r.out + r.err);
    const id = runIdOf(r.out);
    writeFileSync(path.join(base, 'h2', 'config'), 'edited by hand on h2\n');
    const rb = kplay(['rollback', id]);
    assert.equal(rb.code, 5, rb.out + rb.err);
    assert.match(rb.err, /h2: restore .*\/h2\/config: .*\/h2\/config changed since kplay wrote it \(checksum differs\); left as it is \(kplay rollback --force/);
    assertRestored('h1');
    assertRestored('h3');
    assert.equal(readFileSync(path.join(base, 'h2', 'config'), 'utf8'), 'edited by hand on h2\n', 'the changed file is left as it is');
    assertMoved('h2'); // the refusal stopped h2's rollback before its older change
    const listed = JSON.parse(kplay(['runs', '-o', 'json']).out);
    assert.equal(listed[0].state, 'rollback_incomplete');
    assert.equal(listed[0].pending, 2, "h2's two changes are still to undo");

    const forced = kplay(['rollback', id, '--force']);
    assert.equal(forced.code, 0, forced.out + forced.err);
    for (const h of HOSTS) assertRestored(h);
    const kept = path.join(base, 'h2', '.kplay', 'backup', id);
    const changed = readdirSync(kept).filter((f) => f.endsWith('.changed'));
    assert.equal(changed.length, 1, `one changed file kept in ${kept}`);
    assert.equal(readFileSync(path.join(kept, changed[0]!), 'utf8'), 'edited by hand on h2\n', 'nothing is lost');
  });

  test('9. kplay rollback of an older run refuses (exit 4) while a newer run changed the same files; in order, both undo', () => {
    const older = kplay(['run', playbook(''), '-i', inv]);
    assert.equal(older.code, 0, older.out + older.err);
    const olderId = runIdOf(older.out);
    writeFileSync(path.join(dir, 'newer.yaml'), 'name: Newer\nhosts: all\ntasks:\n  - name: Config again\n    copy: {content: "newer\\n", dest: "{{base}}/{{host.name}}/config", backup: true}\n');
    const newer = kplay(['run', 'newer.yaml', '-i', inv, '--limit', 'h1']);
    assert.equal(newer.code, 0, newer.out + newer.err);
    const newerId = runIdOf(newer.out);
    assert.notEqual(newerId, olderId);

    const refused = kplay(['rollback', olderId]);
    assert.equal(refused.code, 4, refused.out + refused.err);
    assert.match(refused.err, new RegExp(`run ${olderId} was not rolled back: a newer run changed the same paths since \\(run ${newerId} changed \\S+/h1/config on h1\\)`));
    assert.match(refused.err, new RegExp(`hint: Roll back the newer run first \\(kplay rollback ${newerId}\\)`));
    assert.equal(readFileSync(path.join(base, 'h1', 'config'), 'utf8'), 'newer\n', 'nothing was undone');
    assertMoved('h2');

    assert.equal(kplay(['rollback', newerId]).code, 0);
    assert.equal(readFileSync(path.join(base, 'h1', 'config'), 'utf8'), 'new config\n');
    const rb = kplay(['rollback', olderId]);
    assert.equal(rb.code, 0, rb.out + rb.err);
    for (const h of HOSTS) assertRestored(h);
  });

  test('a hold ends at its timeout (or Ctrl-C) and then undoes everything', () => {
    writeFileSync(path.join(dir, 'hold.yaml'), `name: Hold\nhosts: all\ntasks:\n${STOP}  - name: Debug\n    hold: {timeout: 1s}\n`);
    const r = kplay(['run', 'hold.yaml', '-i', inv]);
    assert.equal(r.code, 0, r.out + r.err);
    for (const h of HOSTS) assertRestored(h);
    assert.equal(JSON.parse(kplay(['runs', '-o', 'json']).out)[0].state, 'rolled_back');
  });

  test('Ctrl-C while every host holds ends the debug session: everything undone, exit 0', async () => {
    writeFileSync(path.join(dir, 'hold.yaml'), `name: Hold\nhosts: all\ntasks:\n${STOP}  - name: Debug\n    hold: {message: attach now}\n`);
    const run = kplayAsync(['run', 'hold.yaml', '-i', inv]);
    await until(() => (run.output().match(/holding until Ctrl-C/g) ?? []).length === HOSTS.length, 'every host to hold');
    for (const h of HOSTS) assertMoved(h);
    run.child.kill('SIGINT');
    const r = await run.exited;
    assert.equal(r.code, 0, r.out);
    for (const h of HOSTS) assertRestored(h);
  });

  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
});
