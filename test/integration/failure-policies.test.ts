// The rotate-config play against three real sshd hosts, through the kplay CLI: one host fails its
// check, and under rollback_on_failure: all every host is put back, the hosts that had finished
// too, each restarted on its old config once that is back (rollback_after); exit 2. Then the same
// order from the journal alone: a detached run undone later by `kplay rollback`.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { kplay as runKplay } from '../helpers/cli.js';
import { sshLabUnavailable, startSshLab } from '../support/sshd-lab.js';
import type { SshLab } from '../support/sshd-lab.js';

const HOSTS = ['h1', 'h2', 'h3'];

/** The play, as a team coming from Ansible would write it (serial rollout, all-or-nothing). */
function rotateConfig(d: string, failOn: string): string {
  return `name: Rotate the app config
hosts: all
serial: 1
rollback_on_failure: all
vars: {d: ${d}}
tasks:
  - name: Write the new config
    copy: {content: "listen: 8080\\nworkers: 8\\n", dest: "{{d}}/app-{{host.name}}.conf", mode: "0640", backup: true}
  - name: Restart the app
    command: cp {{d}}/app-{{host.name}}.conf {{d}}/running-{{host.name}}
    rollback:
      name: Restart the app on the old config
      command: cp {{d}}/app-{{host.name}}.conf {{d}}/running-{{host.name}}
    rollback_after: Write the new config
  - name: Check the app
    command: "[ {{host.name}} != ${failOn} ]"
`;
}

/** sha256 and mode of every file in the folder, by name. */
function snapshot(d: string): Record<string, string> {
  return Object.fromEntries(
    readdirSync(d)
      .sort()
      .map((f) => [f, `${createHash('sha256').update(readFileSync(path.join(d, f))).digest('hex')} ${(statSync(path.join(d, f)).mode & 0o777).toString(8)}`]),
  );
}

describe('failure policies against real sshd hosts', { skip: sshLabUnavailable() }, () => {
  let lab: SshLab;
  let dir: string;
  const kplay = (args: string[]) => runKplay(args, { cwd: dir, env: { SSH_AUTH_SOCK: '', HOME: dir, KPLAY_STATE_DIR: path.join(dir, 'state') }, timeoutMs: 120_000 });

  /** A folder of old configs (and what runs with them), one per host: the lab's hosts share one filesystem. */
  function hostFiles(name: string): string {
    const d = path.join(dir, name);
    mkdirSync(d);
    for (const h of HOSTS) {
      const old = `# ${h}\nlisten: 80\r\nworkers: 2\n\u00e9\n`;
      writeFileSync(path.join(d, `app-${h}.conf`), old);
      chmodSync(path.join(d, `app-${h}.conf`), 0o600);
      writeFileSync(path.join(d, `running-${h}`), old);
    }
    return d;
  }

  before(async () => {
    lab = await startSshLab({ hosts: HOSTS.length });
    dir = mkdtempSync(path.join(tmpdir(), 'kplay-policy-'));
  });
  after(async () => lab?.close());

  test('rollback_on_failure: all: h3 fails, every host is byte-identical afterwards, exit 2', async () => {
    const d = hostFiles('all');
    const before = snapshot(d);
    writeFileSync(path.join(dir, 'rotate.yaml'), rotateConfig(d, 'h3'));
    const r = kplay(['run', 'rotate.yaml', '-i', lab.inventory()]);
    assert.equal(r.code, 2, r.out + r.err);
    assert.deepEqual(snapshot(d), before, 'every host is back, byte for byte, with its mode');
    assert.match(r.out, /Stopped early: h3 failed and rollback_on_failure is all: rolling back every host/);
    // h1 and h2 had finished: their restart was undone after their config was back.
    for (const h of ['h1', 'h2']) {
      const lines = r.out.split('\n').filter((l) => l.startsWith(`${h} `));
      const restored = lines.findIndex((l) => /restore .*app-h\d\.conf \.\.\. changed/.test(l));
      const restarted = lines.findIndex((l) => /Restart the app on the old config \.\.\. changed/.test(l));
      assert.ok(restored >= 0 && restarted > restored, `${h}: config restored, then the app restarted:\n${lines.join('\n')}`);
    }
    const runs = JSON.parse(kplay(['runs', '-o', 'json']).out) as { state: string; playbook: string; pending: number }[];
    const mine = runs.find((x) => x.playbook === 'Rotate the app config');
    assert.equal(mine?.state, 'rolled_back', 'the journal shows the run rolled back');
    assert.equal(mine?.pending, 0);
  });

  test('kplay rollback of a detached rotation keeps rollback_after: the restart comes after the config', async () => {
    const d = hostFiles('detached');
    const before = snapshot(d);
    writeFileSync(path.join(dir, 'rotate-ok.yaml'), rotateConfig(d, 'nohost'));
    const r = kplay(['run', 'rotate-ok.yaml', '-i', lab.inventory(), '--detach']);
    assert.equal(r.code, 0, r.out + r.err);
    assert.equal(readFileSync(path.join(d, 'running-h2'), 'utf8'), 'listen: 8080\nworkers: 8\n');
    const runId = /; run (\S+)/.exec(r.out)?.[1];
    assert.ok(runId, r.out);
    const back = kplay(['rollback', runId]);
    assert.equal(back.code, 0, back.out + back.err);
    assert.deepEqual(snapshot(d), before, 'the running app has the old config again: it restarted after the restore');
  });
});
