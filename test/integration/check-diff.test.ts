// `kplay run --check --diff` against real sshd hosts, logged in as a sudoer with become: the diff of
// a root-only file comes from the host's real content, secrets are masked, and the host is left
// byte for byte as it was, with no lock, journal or backup on either side. Then a real run with
// --diff shows the same change as it makes it.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { kplay as runKplay } from '../helpers/cli.js';
import { sshLabUnavailable, startSshLab } from '../support/sshd-lab.js';
import type { SshLab } from '../support/sshd-lab.js';

const SECRET = 'lab-check-token-5f3a';

describe('kplay run --check --diff on real hosts', { skip: sshLabUnavailable() }, () => {
  let lab: SshLab;
  let dir: string;
  before(async () => {
    lab = await startSshLab({ hosts: 2 });
    dir = mkdtempSync(path.join(tmpdir(), 'kplay-check-diff-'));
  });
  after(async () => lab?.close());

  const kplay = (args: string[]) => runKplay(args, { cwd: dir, env: { SSH_AUTH_SOCK: '', HOME: dir, KPLAY_STATE_DIR: path.join(dir, 'controller'), CHECK_TOKEN: SECRET } });
  const conf = (host: string) => path.join(dir, 'hosts', host, 'app.conf');
  const fingerprint = (host: string) => {
    const s = statSync(conf(host));
    return { sha: createHash('sha256').update(readFileSync(conf(host))).digest('hex'), mtime: s.mtimeMs, mode: s.mode };
  };

  test('--check --diff shows the change from the host\'s real file and changes nothing; a real run with --diff makes it', () => {
    writeFileSync(path.join(dir, 'app.conf.tmpl'), 'listen: 0.0.0.0\nport: {{port}}\ntoken: {{token}}\n');
    for (const [h, port] of [['h1', 6443], ['h2', 8443]] as const) {
      mkdirSync(path.dirname(conf(h)), { recursive: true, mode: 0o700 });
      writeFileSync(conf(h), `listen: 0.0.0.0\nport: ${port}\ntoken: ${SECRET}\n`);
      // Only root can read it: the check must look through sudo, as the write would.
      chmodSync(conf(h), 0o600);
    }
    writeFileSync(
      path.join(dir, 'pb.yaml'),
      `name: rotate
hosts: all
secrets:
  token: {env: CHECK_TOKEN}
vars:
  port: 8443
tasks:
  - name: render the config
    template: {src: app.conf.tmpl, dest: "${path.join(dir, 'hosts')}/{{host.name}}/app.conf", mode: "0600", backup: true}
  - name: restart the service
    command: "touch ${path.join(dir, 'hosts')}/{{host.name}}/restarted"
`,
    );
    const stateDirs = { h1: { stateDir: path.join(dir, 'state', 'h1') }, h2: { stateDir: path.join(dir, 'state', 'h2') } };
    const inv = lab.inventory({ user: lab.users.sudoer, defaults: { become: true }, hostSettings: stateDirs });
    const was = { h1: fingerprint('h1'), h2: fingerprint('h2') };

    const r = kplay(['run', 'pb.yaml', '-i', inv, '--check', '--diff']);
    assert.equal(r.code, 0, r.out + r.err);
    const lines = r.out.split('\n');
    assert.match(r.out, /^h1 \| 1 render the config \.\.\. would change \(/m);
    assert.match(r.out, /^h2 \| 1 render the config \.\.\. ok \(/m);
    const at = lines.indexOf(`h1 |   --- before: ${conf('h1')}`);
    assert.ok(at > 0, r.out);
    assert.deepEqual(lines.slice(at + 1, at + 6), [`h1 |   +++ after: ${conf('h1')}`, 'h1 |   @@ -1,3 +1,3 @@', 'h1 |    listen: 0.0.0.0', 'h1 |   -port: 6443', 'h1 |   +port: 8443']);
    assert.match(r.out, /^h1 \| 2 restart the service \.\.\. skipped: would run/m);
    assert.match(r.out, /^Check mode: nothing that changes a host ran; 1 task would change; 2 tasks not run/m);
    assert.ok(!r.out.includes(SECRET) && !r.err.includes(SECRET), 'the secret is masked');
    assert.ok(r.out.includes('token: ********'), r.out);

    // Nothing changed on the hosts, and nothing was recorded on either side.
    assert.deepEqual({ h1: fingerprint('h1'), h2: fingerprint('h2') }, was);
    assert.equal(existsSync(path.join(dir, 'hosts', 'h1', 'restarted')), false);
    assert.equal(existsSync(path.join(dir, 'state')), false, 'no lock, journal or backup on the hosts');
    assert.deepEqual(existsSync(path.join(dir, 'controller')) ? readdirSync(path.join(dir, 'controller', 'runs')) : [], []);

    const json = kplay(['run', 'pb.yaml', '-i', inv, '--check', '--diff', '-o', 'json', '--limit', 'h1']);
    assert.equal(json.code, 0, json.err);
    const end = json.out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
      .find((e) => e.type === 'task_end' && e.taskId === '1');
    assert.equal(end.check, 'predicted');
    assert.match(end.diffs[0].diff, /\n-port: 6443\n\+port: 8443\n/);

    const real = kplay(['run', 'pb.yaml', '-i', inv, '--diff']);
    assert.equal(real.code, 0, real.out + real.err);
    assert.match(real.out, /^h1 \| 1 render the config \.\.\. changed \(/m);
    assert.ok(real.out.split('\n').includes('h1 |   +port: 8443'), real.out);
    assert.equal(readFileSync(conf('h1'), 'utf8'), `listen: 0.0.0.0\nport: 8443\ntoken: ${SECRET}\n`);
    assert.ok(existsSync(path.join(dir, 'hosts', 'h1', 'restarted')));
    assert.equal(readdirSync(path.join(dir, 'controller', 'runs')).length, 1, 'the real run is recorded');
  });
});
