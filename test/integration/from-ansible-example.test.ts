// The rotate-config example of docs/from-ansible.md (examples/rotate-config/), its kplay side run as a
// team would run it: from an Ansible INI inventory with group_vars/ and host_vars/, against three real
// sshd hosts. The "app" of each host is a folder (the lab's hosts share one filesystem): its restart
// copies the config to running.conf, its check reads running.conf. One host's check fails: under
// rollback_on_failure: all every host is put back byte for byte, each "restarted" on its old config
// after that config is back (rollback_after), and the run exits 2. Then --check --diff shows the change
// without making it, and a run where every check passes makes it.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { kplay as runKplay } from '../helpers/cli.js';
import { REPO_ROOT } from '../helpers/files.js';
import { sshLabUnavailable, startSshLab } from '../support/sshd-lab.js';
import type { SshLab } from '../support/sshd-lab.js';

const EXAMPLE = path.join(REPO_ROOT, 'examples/rotate-config');
const HOSTS = ['app1', 'app2', 'app3'];
const OLD_CONF = '# hand-written\nlisten: 80\nworkers: 2\n';
const OLD_ENV = 'LOG_LEVEL=debug\nDATA=/var/lib/myapp\n';

/** sha256 and mode of every file under the folder, by relative path. */
function snapshot(d: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of readdirSync(d, { recursive: true }) as string[]) {
    const p = path.join(d, f);
    if (statSync(p).isFile()) out[f] = `${createHash('sha256').update(readFileSync(p)).digest('hex')} ${(statSync(p).mode & 0o777).toString(8)}`;
  }
  return out;
}

describe('docs/from-ansible.md: the rotate-config example against real sshd hosts', { skip: sshLabUnavailable() }, () => {
  let lab: SshLab;
  let dir: string;
  const kplay = (args: string[]) => runKplay(args, { cwd: dir, env: { SSH_AUTH_SOCK: '', HOME: dir }, timeoutMs: 180_000 });
  const appDir = (h: string) => path.join(dir, 'apps', h);

  before(async () => {
    lab = await startSshLab({ hosts: HOSTS.length });
    dir = mkdtempSync(path.join(tmpdir(), 'kplay-from-ansible-'));
    cpSync(EXAMPLE, dir, { recursive: true });
  });
  after(async () => {
    await lab?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** The team's inventory: INI hosts, connection settings in group_vars/, each host's app in host_vars/. */
  function inventory(failing: string): string {
    const state = path.join(dir, 'state');
    mkdirSync(state, { recursive: true });
    const ini = HOSTS.map((h, i) => `${h} ansible_host=${lab.hosts[i]!.address} ansible_port=${lab.hosts[i]!.port} kplay_state_dir=${path.join(state, h)}`);
    writeFileSync(path.join(dir, 'hosts'), `[app]\n${ini.join('\n')}\n`);
    mkdirSync(path.join(dir, 'group_vars'), { recursive: true });
    mkdirSync(path.join(dir, 'host_vars'), { recursive: true });
    writeFileSync(
      path.join(dir, 'group_vars', 'app.yml'),
      `ansible_user: root\nansible_ssh_private_key_file: ${lab.clientKey}\nansible_ssh_common_args: "-o UserKnownHostsFile=${lab.knownHosts}"\n`,
    );
    for (const h of HOSTS) {
      const a = appDir(h);
      const check = h === failing ? `test -e ${a}/never` : `grep -q '^workers: 8$' ${a}/running.conf`;
      writeFileSync(path.join(dir, 'host_vars', `${h}.yml`), `app_dir: ${a}\nrestart_cmd: cp ${a}/app.conf ${a}/running.conf\ncheck_cmd: ${JSON.stringify(check)}\n`);
    }
    return 'hosts';
  }

  /** Each host's app as a team left it: a hand-written config, running. */
  function apps(): void {
    for (const h of HOSTS) {
      const a = appDir(h);
      rmSync(a, { recursive: true, force: true });
      mkdirSync(a, { recursive: true });
      writeFileSync(path.join(a, 'app.conf'), OLD_CONF);
      chmodSync(path.join(a, 'app.conf'), 0o600);
      writeFileSync(path.join(a, 'env'), OLD_ENV);
      writeFileSync(path.join(a, 'running.conf'), OLD_CONF);
    }
  }

  test('the page shows the example files as they are', () => {
    const page = readFileSync(path.join(REPO_ROOT, 'docs/from-ansible.md'), 'utf8');
    for (const f of ['rotate-config.yaml', 'ansible/rotate-config.yml']) {
      const text = readFileSync(path.join(EXAMPLE, f), 'utf8');
      assert.ok(page.includes(text.trimEnd()), `docs/from-ansible.md shows examples/rotate-config/${f} unchanged`);
    }
  });

  test('app3 fails its check: every host is back byte for byte, restarted on its old config, exit 2', () => {
    apps();
    const before = snapshot(path.join(dir, 'apps'));
    const r = kplay(['run', 'rotate-config.yaml', '-i', inventory('app3')]);
    assert.equal(r.code, 2, r.out + r.err);
    assert.match(r.out, /app3 failed and rollback_on_failure is all: rolling back every host/);
    // running.conf is what the last "restart" copied: the old config only if the restart's undo came after the config's.
    assert.deepEqual(snapshot(path.join(dir, 'apps')), before, 'every host is back, byte for byte, with its modes');
    for (const h of ['app1', 'app2']) {
      const lines = r.out.split('\n').filter((l) => l.startsWith(`${h} `));
      const restarted = lines.findIndex((l) => /Restart the app on its old config \.\.\. changed/.test(l));
      const confBack = lines.findIndex((l) => /app\.conf/.test(l) && /\.\.\. changed/.test(l) && /restore|put back|undo/i.test(l));
      assert.ok(restarted > confBack && confBack >= 0, `${h} finished, and was put back: its config, then the restart\n${lines.join('\n')}`);
    }
  });

  test('--check --diff shows the change on every host and changes nothing; then a run where every check passes makes it', () => {
    apps();
    const before = snapshot(path.join(dir, 'apps'));
    const inv = inventory('none');
    const check = kplay(['run', 'rotate-config.yaml', '-i', inv, '--check', '--diff']);
    assert.equal(check.code, 0, check.out + check.err);
    assert.match(check.out, /-workers: 2\n.*\+workers: 8/s);
    assert.match(check.out, /-LOG_LEVEL=debug\n.*\+LOG_LEVEL=info/s);
    assert.deepEqual(snapshot(path.join(dir, 'apps')), before, '--check changed nothing');

    const r = kplay(['run', 'rotate-config.yaml', '-i', inv]);
    assert.equal(r.code, 0, r.out + r.err);
    for (const h of HOSTS) {
      const a = appDir(h);
      assert.equal(readFileSync(path.join(a, 'app.conf'), 'utf8'), '# Written by kplay (rotate-config.yaml)\nlisten: 8080\nworkers: 8\n');
      assert.equal(statSync(path.join(a, 'app.conf')).mode & 0o777, 0o640);
      assert.equal(readFileSync(path.join(a, 'env'), 'utf8'), 'LOG_LEVEL=info\nDATA=/var/lib/myapp\n', 'the one line replaced, the rest kept');
      assert.equal(readFileSync(path.join(a, 'running.conf'), 'utf8'), readFileSync(path.join(a, 'app.conf'), 'utf8'));
    }
  });
});
