// lineinfile and file against real sshd hosts, as a sudoer with become: a config line changed, a
// folder made, a file removed and a link set; the host whose later task fails is put back at once,
// and the other by `kplay rollback`, each file's bytes, mode and owner as they were.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { rollbackRun } from '../../src/executor/rollback-run.js';
import { runEnv, runPlaybook } from '../helpers/run.js';
import { sshLabUnavailable, startSshLab } from '../support/sshd-lab.js';
import type { SshLab } from '../support/sshd-lab.js';

const CONF = '# the service\nlisten: 127.0.0.1\nport: 8080\nlog: info\n';

function sha(p: string): string {
  return createHash('sha256').update(readFileSync(p)).digest('hex');
}

describe('file and lineinfile over SSH, with rollback', { skip: sshLabUnavailable() }, () => {
  let lab: SshLab;
  let dir: string;
  before(async () => {
    lab = await startSshLab({ hosts: 2 });
    dir = mkdtempSync(path.join(tmpdir(), 'kplay-file-kinds-'));
  });
  after(async () => lab?.close());

  test('the edits are made keeping owner and mode; a failure on one host and kplay rollback on the other put the bytes back', async () => {
    const files: Record<string, { conf: string; old: string; sum: string }> = {};
    for (const h of ['h1', 'h2']) {
      const d = path.join(dir, h);
      mkdirSync(d);
      const conf = path.join(d, 'app.yaml');
      writeFileSync(conf, CONF, { mode: 0o640 });
      // Owned by a user other than the one sudo writes as: the edit must keep it.
      chownSync(conf, 65534, 65534);
      const old = path.join(d, 'old.conf');
      writeFileSync(old, 'obsolete\n');
      files[h] = { conf, old, sum: sha(conf) };
    }
    // State folders of this test's own (the lab's hosts are one machine; the sudoer's default
    // folder is the machine's, which other test files lock).
    chmodSync(dir, 0o755);
    const stateDir = (h: string) => {
      const s = path.join(dir, `state-${h}`);
      mkdirSync(s, { mode: 0o1777 });
      chmodSync(s, 0o1777);
      return { stateDir: s };
    };
    const inv = lab.inventory({ hosts: ['h1', 'h2'], user: lab.users.sudoer, defaults: { become: true }, hostSettings: { h1: stateDir('h1'), h2: stateDir('h2') } });
    const r = await runPlaybook(
      dir,
      inv,
      `name: rotate
hosts: all
vars: {d: "${dir}/{{host.name}}"}
tasks:
  - name: Port
    lineinfile: {path: "{{d}}/app.yaml", regexp: '^port:', line: 'port: 9090'}
  - name: Debug log
    lineinfile: {path: "{{d}}/app.yaml", line: 'log: debug', insertafter: '^log:'}
  - name: Drop-in folder
    file: {path: "{{d}}/conf.d/extra", state: directory, mode: "0750"}
  - name: Old file
    file: {path: "{{d}}/old.conf", state: absent}
  - name: Current
    file: {path: "{{d}}/current", state: link, src: app.yaml}
  - name: Check
    command: '[ {{host.name}} = h1 ]'
`,
    );
    assert.equal(r.summary.exitCode, 2, JSON.stringify(r.summary.refusals) + JSON.stringify(r.events.filter((e) => e.type === 'task_end').map((e) => [e.host, e.name, e.status, e.message])));
    assert.equal(r.end('h1', 'Port').status, 'changed');
    assert.equal(r.end('h1', 'Debug log').message, 'line added');

    // h1 finished: its file edited in place, owner and mode kept.
    const h1 = files.h1!;
    assert.equal(readFileSync(h1.conf, 'utf8'), '# the service\nlisten: 127.0.0.1\nport: 9090\nlog: info\nlog: debug\n');
    assert.deepEqual([statSync(h1.conf).uid, statSync(h1.conf).gid, statSync(h1.conf).mode & 0o777], [65534, 65534, 0o640]);
    assert.equal(statSync(path.join(dir, 'h1/conf.d/extra')).mode & 0o777, 0o750);
    assert.equal(existsSync(h1.old), false);
    assert.equal(lstatSync(path.join(dir, 'h1/current')).isSymbolicLink(), true);

    // h2 failed at its last task: every change undone, newest first.
    const h2 = files.h2!;
    assert.equal(sha(h2.conf), h2.sum);
    assert.deepEqual([statSync(h2.conf).uid, statSync(h2.conf).mode & 0o777], [65534, 0o640]);
    assert.equal(existsSync(path.join(dir, 'h2/conf.d')), false);
    assert.equal(readFileSync(h2.old, 'utf8'), 'obsolete\n');
    assert.equal(existsSync(path.join(dir, 'h2/current')), false);

    // A second run changes nothing on h1.
    const again = await runPlaybook(
      dir,
      inv,
      `name: again\nhosts: h1\nvars: {d: "${dir}/{{host.name}}"}\ntasks:\n  - name: Port\n    lineinfile: {path: "{{d}}/app.yaml", regexp: '^port:', line: 'port: 9090'}\n  - name: Drop-in folder\n    file: {path: "{{d}}/conf.d/extra", state: directory, mode: "0750"}\n`,
    );
    assert.deepEqual([again.end('h1', 'Port').status, again.end('h1', 'Drop-in folder').status], ['ok', 'ok']);

    const runId = (r.events[0] as { runId: string }).runId;
    const rb = await rollbackRun({ runId, env: runEnv(), sshConfigFile: '/dev/null', reporter: () => ({ onEvent: () => undefined, close: async () => undefined }) });
    assert.equal(rb.exitCode, 0);
    assert.equal(sha(h1.conf), h1.sum, 'the bytes are back');
    assert.deepEqual([statSync(h1.conf).uid, statSync(h1.conf).gid, statSync(h1.conf).mode & 0o777], [65534, 65534, 0o640]);
    assert.equal(existsSync(path.join(dir, 'h1/conf.d')), false);
    assert.equal(readFileSync(h1.old, 'utf8'), 'obsolete\n');
    assert.equal(existsSync(path.join(dir, 'h1/current')), false);
  });
});
