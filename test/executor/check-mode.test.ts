// `kplay run --check` and `--diff` through the real engine on local hosts (no root, no sshd): what
// runs, what is only predicted, what is skipped, the diffs, the secrets in them, and that the host
// and the journal are left exactly as they were.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { runLocal, tempDir } from '../helpers/local-run.js';

/** A playbook writing `conf` from a template, copying inline content, and running commands. */
function playbook(dir: string, extra = ''): string {
  return `name: check
hosts: all
vars:
  port: 8443
tasks:
  - name: render the config
    template: {src: app.conf.tmpl, dest: ${JSON.stringify(path.join(dir, 'app.conf'))}}
  - name: copy the motd
    copy: {content: "hello\\n", dest: ${JSON.stringify(path.join(dir, 'motd'))}}
  - name: restart the service
    command: touch ${JSON.stringify(path.join(dir, 'restarted'))}
    register: restart
  - name: read the version
    command: echo v1.2
    check_mode: false
    changed_when: false
    register: version
  - name: after a skipped restart
    command: echo "restart skipped={{restart.skipped}} version={{version.stdout}}"
    check_mode: false
    changed_when: false
    register: after
${extra}`;
}

function setUp(): string {
  const dir = tempDir('kplay-check-');
  writeFileSync(path.join(dir, 'app.conf.tmpl'), 'listen: 0.0.0.0\nport: {{port}}\nlog: info\n');
  writeFileSync(path.join(dir, 'app.conf'), 'listen: 0.0.0.0\nport: 6443\nlog: info\n');
  return dir;
}

test('--check predicts copy and template, skips commands, runs check_mode: false, and changes nothing', async () => {
  const dir = setUp();
  const before = readFileSync(path.join(dir, 'app.conf'));
  const ran = await runLocal(dir, playbook(dir), { check: true, diff: true });
  assert.equal(ran.summary.exitCode, 0);
  // The host is as it was: the file byte for byte, nothing created, no state folder (lock, journal).
  assert.deepEqual(readFileSync(path.join(dir, 'app.conf')), before);
  assert.equal(existsSync(path.join(dir, 'motd')), false);
  assert.equal(existsSync(path.join(dir, 'restarted')), false);
  assert.equal(existsSync(path.join(dir, 'state')), false);
  assert.deepEqual(ran.journal, []);

  const render = ran.end('h1', 'render the config');
  assert.equal(render.status, 'changed');
  assert.equal(render.check, 'predicted');
  assert.match(render.message ?? '', /^would write .*app\.conf \(37 bytes, was 37\)$/);
  assert.deepEqual(render.diffs?.map((d) => d.diff?.split('\n')), [
    [`--- before: ${path.join(dir, 'app.conf')}`, `+++ after: ${path.join(dir, 'app.conf')}`, '@@ -1,3 +1,3 @@', ' listen: 0.0.0.0', '-port: 6443', '+port: 8443', ' log: info'],
  ]);
  const motd = ran.end('h1', 'copy the motd');
  assert.equal(motd.status, 'changed');
  assert.match(motd.message ?? '', /^would create /);
  assert.equal(motd.diffs?.[0]?.diff, `--- /dev/null\n+++ after: ${path.join(dir, 'motd')}\n@@ -0,0 +1 @@\n+hello`);

  const restart = ran.end('h1', 'restart the service');
  assert.equal(restart.status, 'skipped');
  assert.equal(restart.check, 'would_run');
  assert.match(restart.message ?? '', /^would run/);
  // A task that only reads runs, and later tasks see the skipped one as skipped (as in Ansible).
  assert.equal(ran.end('h1', 'read the version').check, 'ran');
  assert.equal(ran.end('h1', 'after a skipped restart').stdout, 'restart skipped=true version=v1.2');
  assert.deepEqual(ran.summary.recap.h1, { ok: 2, changed: 2, failed: 0, skipped: 1, unreachable: 0 });
  const start = ran.events.find((e) => e.type === 'run_start');
  assert.ok(start && start.type === 'run_start' && start.check === true && start.diff === true);
});

test('--check says ok for a file already as wanted, and shows a mode change as a note', async () => {
  const dir = setUp();
  writeFileSync(path.join(dir, 'app.conf'), 'listen: 0.0.0.0\nport: 8443\nlog: info\n');
  chmodSync(path.join(dir, 'app.conf'), 0o644);
  const pb = `name: check\nhosts: all\nvars: {port: 8443}\ntasks:\n  - name: same\n    template: {src: app.conf.tmpl, dest: ${JSON.stringify(path.join(dir, 'app.conf'))}}\n  - name: mode\n    template: {src: app.conf.tmpl, dest: ${JSON.stringify(path.join(dir, 'app.conf'))}, mode: "0600"}\n`;
  const ran = await runLocal(dir, pb, { check: true, diff: true });
  const same = ran.end('h1', 'same');
  assert.equal(same.status, 'ok');
  assert.equal(same.diffs, undefined);
  const mode = ran.end('h1', 'mode');
  assert.equal(mode.status, 'changed');
  assert.deepEqual(mode.diffs, [{ path: path.join(dir, 'app.conf'), note: 'mode 644 -> 600' }]);
  assert.equal(statSync(path.join(dir, 'app.conf')).mode & 0o777, 0o644);
});

test('--diff without --check shows what a write changed, and nothing once the file is as wanted', async () => {
  const dir = setUp();
  const pb = `name: diff\nhosts: all\nvars: {port: 8443}\ntasks:\n  - name: render\n    template: {src: app.conf.tmpl, dest: ${JSON.stringify(path.join(dir, 'app.conf'))}, backup: true}\n`;
  const first = await runLocal(dir, pb, { diff: true });
  assert.equal(first.summary.exitCode, 0);
  assert.equal(readFileSync(path.join(dir, 'app.conf'), 'utf8'), 'listen: 0.0.0.0\nport: 8443\nlog: info\n');
  const e = first.end('h1', 'render');
  assert.equal(e.status, 'changed');
  assert.equal(e.check, undefined);
  assert.match(e.diffs?.[0]?.diff ?? '', /^-port: 6443\n\+port: 8443$/m);
  // The real run journals its change as always.
  assert.ok(first.journal.some((j) => j.phase === 'done'));
  const again = await runLocal(dir, pb, { diff: true });
  assert.equal(again.end('h1', 'render').status, 'ok');
  assert.equal(again.end('h1', 'render').diffs, undefined);
});

test('secrets are masked in diffs, a secret over several lines too', async () => {
  const dir = setUp();
  writeFileSync(path.join(dir, 'creds.tmpl'), 'user: app\ntoken: {{token}}\nkey: |\n{{key}}\n');
  const pb = `name: s\nhosts: all\nsecrets:\n  token: {env: CHECK_TOKEN}\n  key: {env: CHECK_KEY}\ntasks:\n  - name: creds\n    template: {src: creds.tmpl, dest: ${JSON.stringify(path.join(dir, 'creds'))}}\n`;
  const env = { CHECK_TOKEN: 's3cr3t-token-value', CHECK_KEY: 'line-one-of-key\nline-two-of-key' };
  const ran = await runLocal(dir, pb, { check: true, diff: true, env });
  const diff = ran.end('h1', 'creds').diffs?.[0]?.diff ?? '';
  assert.match(diff, /^\+token: \*{8}$/m);
  assert.match(diff, /^\+\*{8}$/m);
  for (const secret of ['s3cr3t-token-value', 'line-one-of-key', 'line-two-of-key']) assert.ok(!diff.includes(secret), diff);
});

test('binary content is said, not shown; check_mode: true only predicts, even in a real run', async () => {
  const dir = setUp();
  writeFileSync(path.join(dir, 'blob.bin'), Buffer.from([0, 1, 2, 255, 0]));
  writeFileSync(path.join(dir, 'old.bin'), Buffer.from([0, 9, 9]));
  const pb = `name: b\nhosts: all\ntasks:\n  - name: blob\n    copy: {src: blob.bin, dest: ${JSON.stringify(path.join(dir, 'old.bin'))}}\n    check_mode: true\n`;
  const ran = await runLocal(dir, pb, { diff: true });
  const e = ran.end('h1', 'blob');
  assert.equal(e.check, 'predicted');
  assert.equal(e.status, 'changed');
  assert.deepEqual(e.diffs, [{ path: path.join(dir, 'old.bin'), note: 'binary content, 3 bytes -> 5 bytes (no diff shown)' }]);
  assert.deepEqual(readFileSync(path.join(dir, 'old.bin')), Buffer.from([0, 9, 9]));
  assert.deepEqual(ran.journal, []);
});

test('kinds that change hosts without a check, and hold, are skipped under --check', async () => {
  const dir = setUp();
  const target = path.join(dir, 'app.conf');
  const pb = `name: m\nhosts: all\ntasks:\n  - name: move\n    move: {src: ${JSON.stringify(target)}, dest: ${JSON.stringify(`${target}.moved`)}}\n  - name: wait\n    hold: {message: wait}\n`;
  const ran = await runLocal(dir, pb, { check: true });
  assert.equal(ran.summary.exitCode, 0);
  assert.equal(ran.end('h1', 'move').check, 'would_run');
  assert.equal(ran.end('h1', 'wait').check, 'would_run');
  assert.ok(existsSync(target));
});

test('a folder where the file would go is said; a host that fails while looked at fails the task, not the run', async () => {
  const dir = setUp();
  const pb = `name: f\nhosts: all\ntasks:\n  - name: over a folder\n    copy: {content: x, dest: ${JSON.stringify(dir)}}\n  - name: looked at\n    copy: {content: x, dest: ${JSON.stringify(path.join(dir, 'app.conf'))}}\n`;
  const ran = await runLocal(dir, pb, {
    check: true,
    diff: true,
    onConnect: (c) => (c.fault = (cmd) => (cmd.includes('stat -L') && cmd.includes('app.conf') ? Object.assign(new Error('EIO: i/o error, read'), { code: 'EIO' }) : undefined)),
  });
  const folder = ran.end('h1', 'over a folder');
  assert.equal(folder.status, 'changed');
  assert.deepEqual(folder.diffs, [{ path: dir, note: 'the directory there would be replaced by a file of 1 bytes' }]);
  const failed = ran.end('h1', 'looked at');
  assert.equal(failed.status, 'failed');
  assert.equal(failed.code, 'E_IO');
  assert.equal(ran.summary.exitCode, 2);
  assert.equal(ran.summary.internalError, undefined);
});
