// A playbook run against real sshd hosts (test/support/sshd-lab.ts) from an Ansible INI inventory
// with group_vars/ and host_vars/: where each host is reached (ansible_host, ansible_port), how
// (ansible_user, ansible_ssh_private_key_file, ansible_ssh_common_args, ansible_become) and with
// which vars, all as the files say.
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runPlaybook } from '../helpers/run.js';
import { sshLabUnavailable, startSshLab } from '../support/sshd-lab.js';
import type { SshLab } from '../support/sshd-lab.js';

const skip = sshLabUnavailable();

describe('a run from an Ansible INI inventory', { skip }, () => {
  let lab: SshLab;
  let dir: string;
  before(async () => {
    lab = await startSshLab({ hosts: 3 });
    dir = mkdtempSync(path.join(tmpdir(), 'kplay-ansible-inv-'));
    // The sudoer logs in to db1 and must reach its state folder inside.
    chmodSync(dir, 0o755);
  });
  after(async () => lab?.close());

  /** Writes the inventory and its vars folders; returns the inventory's path. */
  function writeInventory(): string {
    const [h1, h2, h3] = lab.hosts;
    // The lab's hosts share one filesystem: a kplay state folder each keeps them apart as machines (kplay_state_dir).
    const state = path.join(dir, 'state');
    mkdirSync(state, { recursive: true });
    chmodSync(state, 0o1777);
    const line = (name: string, h: typeof h1) => `${name} ansible_host=${h!.address} ansible_port=${h!.port} kplay_state_dir=${path.join(state, name)}`;
    const inv = path.join(dir, 'hosts');
    writeFileSync(inv, `# three lab hosts\n[web]\n${line('web1', h1)}\n${line('web2', h2)}\n\n[db]\n${line('db1', h3)}\n\n[app:children]\nweb\ndb\n\n[web:vars]\nrole=web\n`);
    mkdirSync(path.join(dir, 'group_vars'), { recursive: true });
    mkdirSync(path.join(dir, 'host_vars'), { recursive: true });
    writeFileSync(
      path.join(dir, 'group_vars', 'all.yml'),
      `ansible_user: root\nansible_ssh_private_key_file: ${lab.clientKey}\nansible_ssh_common_args: "-o UserKnownHostsFile=${lab.knownHosts} -o StrictHostKeyChecking=yes"\ngreeting: hello\nrole: none\n`,
    );
    writeFileSync(path.join(dir, 'group_vars', 'app.yml'), 'greeting: "hello from {{host.name}}"\n');
    writeFileSync(path.join(dir, 'host_vars', 'db1.yml'), `role: database\nansible_user: ${lab.users.sudoer}\nansible_become: true\n`);
    return inv;
  }

  test('each host is reached at its ansible_host and ansible_port, as its user, with its group and host vars', async () => {
    const r = await runPlaybook(
      dir,
      writeInventory(),
      `name: where am I
hosts: app
tasks:
  - name: report
    become: false
    command: printf '%s|%s|%s|%s' {{greeting}} {{role}} "$(id -un)" "$(echo $SSH_CONNECTION | cut -d' ' -f3,4)"
  - name: as whom
    command: printf '%s|%s' "$(id -un)" "\${SUDO_USER:-}"
`,
    );
    assert.equal(r.summary.exitCode, 0, JSON.stringify(r.summary));
    const [h1, h2, h3] = lab.hosts;
    assert.equal(r.end('web1', 'report').stdout, `hello from web1|web|root|${h1!.address} ${h1!.port}`);
    assert.equal(r.end('web2', 'report').stdout, `hello from web2|web|root|${h2!.address} ${h2!.port}`);
    // db1: the login user and the become of its host_vars file.
    assert.equal(r.end('db1', 'report').stdout, `hello from db1|database|${lab.users.sudoer}|${h3!.address} ${h3!.port}`);
    assert.equal(r.end('db1', 'as whom').stdout, `root|${lab.users.sudoer}`);
    assert.equal(r.end('web1', 'as whom').stdout, 'root|');
  });

  test('a host key that does not match the known_hosts of ansible_ssh_common_args is refused', async () => {
    const inv = writeInventory();
    const wrongKnownHosts = path.join(dir, 'known_hosts_wrong');
    const [h1, h2] = lab.hosts;
    writeFileSync(wrongKnownHosts, `[${h1!.address}]:${h1!.port} ${h2!.hostKeyLine}\n`);
    writeFileSync(path.join(dir, 'host_vars', 'web1.yml'), `ansible_ssh_common_args: "-o UserKnownHostsFile=${wrongKnownHosts}"\n`);
    const r = await runPlaybook(dir, inv, 'name: k\nhosts: web1\ntasks:\n  - name: t\n    command: "true"\n');
    assert.equal(r.summary.hosts.web1, 'unreachable');
  });
});
