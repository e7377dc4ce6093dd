import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import { NodeSSH } from 'node-ssh';
import { parse } from 'yaml';
import { LAB_ENV, sshLabUnavailable, startSshLab } from './sshd-lab.js';
import type { LabHost, SshLab } from './sshd-lab.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO_ROOT = path.resolve(HERE, '../..');

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

function spawnCollect(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env, timeoutMs = 15_000) {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d));
  child.stderr.on('data', (d: Buffer) => (stderr += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const done = new Promise<Ran>((resolve) =>
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    }),
  );
  return { child, done };
}

/** Without an agent or the caller's ssh config, only the options given here decide how ssh authenticates. */
const CLEAN_ENV: NodeJS.ProcessEnv = { ...process.env, SSH_AUTH_SOCK: '' };

interface SshOpts {
  key?: string;
  knownHosts?: string;
  options?: string[];
  env?: NodeJS.ProcessEnv;
}

function sshArgs(lab: SshLab, host: LabHost, user: string, command: string, o: SshOpts = {}): string[] {
  return [
    '-F', '/dev/null',
    ...(o.key === '' ? [] : ['-i', o.key ?? lab.clientKey]),
    '-o', 'IdentitiesOnly=yes',
    '-o', `UserKnownHostsFile=${o.knownHosts ?? lab.knownHosts}`,
    '-o', 'GlobalKnownHostsFile=/dev/null',
    '-o', 'StrictHostKeyChecking=yes',
    '-o', 'ConnectTimeout=5',
    ...(o.options ?? ['-o', 'BatchMode=yes']),
    '-p', String(host.port),
    `${user}@${host.address}`,
    command,
  ];
}

function ssh(lab: SshLab, host: LabHost, user: string, command: string, o: SshOpts = {}): Promise<Ran> {
  return spawnCollect('ssh', sshArgs(lab, host, user, command, o), o.env ?? CLEAN_ENV).done;
}

/** An SSH_ASKPASS program answering every prompt with `secret`: the real client, non-interactively. */
function askpass(lab: SshLab, name: string, secret: string): NodeJS.ProcessEnv {
  const file = path.join(lab.dir, `askpass-${name}`);
  writeFileSync(file, '#!/bin/sh\nprintf "%s\\n" "$LAB_SECRET"\n', { mode: 0o700 });
  return { ...CLEAN_ENV, SSH_ASKPASS: file, SSH_ASKPASS_REQUIRE: 'force', LAB_SECRET: secret };
}

function shq(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** `pgrep -af` output for an extended regex over full command lines; empty when nothing matches. */
function pgrep(pattern: string): string {
  try {
    return execFileSync('pgrep', ['-af', pattern], { encoding: 'utf8' }).trim();
  } catch {
    return ''; // pgrep exits 1 when nothing matches
  }
}

describe('sshd lab', { skip: sshLabUnavailable() }, () => {
  let lab: SshLab;
  let startMs = 0;

  before(async () => {
    const t = Date.now();
    lab = await startSshLab({ hosts: 3 });
    startMs = Date.now() - t;
  });

  after(async () => {
    await lab?.close();
  });

  test('lab starts 3 hosts on consecutive loopback addresses and one port', () => {
    assert.ok(startMs < 5000, `startup took ${startMs} ms`);
    assert.deepEqual(
      lab.hosts.map((h) => [h.name, h.address]),
      [
        ['h1', '127.0.0.2'],
        ['h2', '127.0.0.3'],
        ['h3', '127.0.0.4'],
      ],
    );
    const port = lab.hosts[0]!.port;
    assert.ok(port >= 20000 && port <= 60000);
    for (const h of lab.hosts) {
      assert.equal(h.port, port);
      assert.ok(h.sshdPid(), `${h.name} runs`);
      assert.match(h.hostKeyLine, /^ssh-ed25519 AAAA[A-Za-z0-9+/=]+$/);
      const printed = execFileSync('ssh-keygen', ['-lf', path.join(lab.dir, h.name, 'ssh_host_ed25519_key.pub')], {
        encoding: 'utf8',
      });
      assert.equal(printed.split(' ')[1], h.fingerprint);
    }
    assert.equal(
      readFileSync(lab.knownHosts, 'utf8'),
      lab.hosts.map((h) => `[${h.address}]:${port} ${h.hostKeyLine}\n`).join(''),
    );
    assert.equal(new Set(lab.hosts.map((h) => h.fingerprint)).size, 3, 'every host has its own key');
  });

  test('root and kplay-sudoer run commands on every host; only kplay-sudoer sudo is passwordless', async () => {
    const runs = lab.hosts.flatMap((h) => [
      ssh(lab, h, 'root', 'echo hi; id -u').then((r) => ({ h, user: 'root', r })),
      ssh(lab, h, lab.users.sudoer, 'echo hi; sudo -n id -u').then((r) => ({ h, user: 'sudoer', r })),
      ssh(lab, h, lab.users.sudoerPassword.name, 'sudo -n true').then((r) => ({ h, user: 'pwuser', r })),
    ]);
    for (const { h, user, r } of await Promise.all(runs)) {
      const what = `${user}@${h.name}: ${r.stderr}`;
      if (user === 'pwuser') {
        assert.equal(r.code, 1, what);
        assert.match(r.stderr, /a password is required/);
      } else {
        assert.equal(r.code, 0, what);
        assert.equal(r.stdout, 'hi\n0\n', what);
      }
    }
  });

  test('kplay-pwuser logs in with its password and sudo accepts the same password', async () => {
    const pw = lab.users.sudoerPassword.password;
    const h = lab.hosts[1]!;
    const r = await ssh(lab, h, lab.users.sudoerPassword.name, `printf '%s\\n' ${shq(pw)} | sudo -S -p '' id -u; echo "$0"`, {
      key: '',
      options: ['-o', 'PreferredAuthentications=password', '-o', 'PubkeyAuthentication=no', '-o', 'NumberOfPasswordPrompts=1'],
      env: askpass(lab, 'password', pw),
    });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '0\nsh\n');
    assert.match(readFileSync(h.logPath, 'utf8'), /Accepted password for kplay-pwuser/);

    const wrong = await ssh(lab, h, lab.users.sudoerPassword.name, 'true', {
      key: '',
      options: ['-o', 'PreferredAuthentications=password', '-o', 'PubkeyAuthentication=no', '-o', 'NumberOfPasswordPrompts=1'],
      env: askpass(lab, 'wrong', 'not the password'),
    });
    assert.equal(wrong.code, 255);
    assert.match(wrong.stderr, /Permission denied/);
  });

  test('the passphrase key works with the passphrase', async () => {
    const r = await ssh(lab, lab.hosts[2]!, 'root', 'echo ok', {
      key: lab.clientKeyWithPassphrase,
      options: ['-o', 'PreferredAuthentications=publickey'],
      env: askpass(lab, 'passphrase', lab.passphrase),
    });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'ok\n');
  });

  test('hashed known_hosts works with the real client; an unknown host key is refused', async () => {
    const hashed = lab.knownHostsHashed();
    const text = readFileSync(hashed, 'utf8');
    assert.doesNotMatch(text, /127\.0\.0\./);
    assert.equal(text.match(/^\|1\|[A-Za-z0-9+/]{27}=\|[A-Za-z0-9+/]{27}= ssh-ed25519 /gm)?.length, 3);
    const ok = await Promise.all(lab.hosts.map((h) => ssh(lab, h, 'root', 'echo hi', { knownHosts: hashed })));
    for (const r of ok) assert.deepEqual([r.code, r.stdout], [0, 'hi\n'], r.stderr);

    // h1's key listed for h2's name: a mismatch, which strict checking refuses.
    const [h1, h2] = lab.hosts;
    const wrong = path.join(lab.dir, 'known_hosts_wrong');
    writeFileSync(wrong, `[${h2!.address}]:${h2!.port} ${h1!.hostKeyLine}\n`);
    const r = await ssh(lab, h2!, 'root', 'echo hi', { knownHosts: wrong });
    assert.equal(r.code, 255);
    assert.match(r.stderr, /REMOTE HOST IDENTIFICATION HAS CHANGED|Host key verification failed/);
  });

  test('one lab host reaches another as a jump host', async () => {
    const [h1, h3] = [lab.hosts[0]!, lab.hosts[2]!];
    const jump = sshArgs(lab, h1, lab.users.sudoer, '').slice(0, -1);
    const jumpLogins = () => readFileSync(h1.logPath, 'utf8').split('Accepted publickey for kplay-sudoer').length;
    const before = jumpLogins();
    const r = await ssh(lab, h3, 'root', 'echo via-jump', {
      options: ['-o', 'BatchMode=yes', '-o', `ProxyCommand=ssh ${jump.map(shq).join(' ')} -W %h:%p`],
    });
    assert.deepEqual([r.code, r.stdout], [0, 'via-jump\n'], r.stderr);
    assert.equal(jumpLogins(), before + 1, 'the connection went through h1');
  });

  test('ssh2 (node-ssh) connects with the passphrase key, pins the fingerprint, and has SFTP', async () => {
    const h = lab.hosts[0]!;
    const conn = new NodeSSH();
    let seen = '';
    await conn.connect({
      host: h.address,
      port: h.port,
      username: lab.users.sudoer,
      privateKeyPath: lab.clientKeyWithPassphrase,
      passphrase: lab.passphrase,
      hostVerifier: (key: Buffer) => {
        seen = `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;
        return seen === h.fingerprint;
      },
    });
    try {
      assert.equal(seen, h.fingerprint);
      const r = await conn.execCommand('sudo -n id -u');
      assert.deepEqual([r.code, r.stdout], [0, '0']);
      await conn.withSFTP(
        (sftp) =>
          new Promise<void>((resolve, reject) =>
            sftp.readdir('/', (err: Error | undefined, list: { filename: string }[]) => {
              if (err) return reject(err);
              assert.ok(list.some((e) => e.filename === 'etc'));
              resolve();
            }),
          ),
      );
    } finally {
      conn.dispose();
    }
  });

  test('stop() refuses new connections but keeps sessions; start() brings the host back', async () => {
    const h = lab.hosts[1]!;
    const pid = h.sshdPid();
    const marker = `survived-${process.pid}`;
    const ongoing = spawnCollect('ssh', sshArgs(lab, h, 'root', `sleep 1; echo ${marker}`), CLEAN_ENV);
    // Anchored, so it matches the remote shell and not the local ssh client's command line.
    await waitFor(() => pgrep(`^bash -c sleep 1; echo ${marker}`) !== '', 5000);
    await h.stop();
    assert.equal(h.sshdPid(), undefined);
    assert.equal(pgrep(path.join(lab.dir, h.name, 'sshd_config')), '');
    const refused = await ssh(lab, h, 'root', 'echo hi');
    assert.equal(refused.code, 255);
    assert.match(refused.stderr, /Connection refused/);
    const r = await ongoing.done;
    assert.deepEqual([r.code, r.stdout], [0, `${marker}\n`], r.stderr);

    await h.start();
    assert.notEqual(h.sshdPid(), pid);
    const back = await ssh(lab, h, 'root', 'echo hi');
    assert.deepEqual([back.code, back.stdout], [0, 'hi\n'], back.stderr);
  });

  test('kill() drops established sessions with their processes; stop({sessions}) too', async () => {
    for (const how of ['kill', 'stop'] as const) {
      const h = lab.hosts[2]!;
      const marker = `kplay-lab-${how}-${process.pid}`;
      const ongoing = spawnCollect('ssh', sshArgs(lab, h, 'root', `exec -a ${marker} sleep 30`), CLEAN_ENV);
      await waitFor(() => pgrep(`^${marker} 30`) !== '', 5000);
      const t = Date.now();
      if (how === 'kill') h.kill();
      else await h.stop({ sessions: true });
      const r = await ongoing.done;
      assert.equal(r.code, 255, `${how}: ${r.stderr}`);
      assert.ok(Date.now() - t < 3000, `${how}: the client noticed at once`);
      await waitFor(() => pgrep(`^${marker} 30`) === '', 2000);
      await h.start();
      const back = await ssh(lab, h, 'root', 'echo hi');
      assert.equal(back.code, 0, back.stderr);
    }
  });

  test('freeze() leaves connections unanswered until thaw()', async () => {
    const h = lab.hosts[0]!;
    h.freeze();
    try {
      const sock = net.connect({ host: h.address, port: h.port });
      let banner = '';
      sock.on('data', (d: Buffer) => (banner += d));
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(banner, '', 'no SSH banner while frozen');
      h.thaw();
      await waitFor(() => banner.startsWith('SSH-2.0-OpenSSH'), 3000);
      sock.destroy();
    } finally {
      h.thaw();
    }
  });

  test('inventory() writes a schema-valid inventory for the lab', () => {
    const file = lab.inventory({
      hosts: ['h1', 'h3'],
      user: lab.users.sudoer,
      defaults: { become: true, identityFile: lab.clientKeyWithPassphrase, passphraseEnv: LAB_ENV.passphrase },
      hostSettings: { h3: { user: lab.users.sudoerPassword.name, becomePasswordEnv: LAB_ENV.password } },
      extra: { groups: { all_lab: { hosts: ['h1', 'h3'] } }, vars: { x: 1 } },
    });
    type Doc = { defaults: Record<string, unknown>; hosts: Record<string, unknown> };
    const doc = parse(readFileSync(file, 'utf8')) as Doc;
    const ajv = new Ajv({ strict: false, allErrors: true });
    ajv.addSchema(JSON.parse(readFileSync(path.join(REPO_ROOT, 'schemas/playbook.schema.json'), 'utf8')));
    const validate = ajv.compile(JSON.parse(readFileSync(path.join(REPO_ROOT, 'schemas/inventory.schema.json'), 'utf8')));
    assert.ok(validate(doc), JSON.stringify(validate.errors));
    assert.deepEqual(doc.defaults, {
      user: 'kplay-sudoer',
      port: lab.hosts[0]!.port,
      identityFile: lab.clientKeyWithPassphrase,
      knownHosts: lab.knownHosts,
      hostKeyChecking: 'strict',
      become: true,
      passphraseEnv: 'KPLAY_LAB_PASSPHRASE',
    });
    assert.deepEqual(doc.hosts, {
      h1: { address: '127.0.0.2' },
      h3: { address: '127.0.0.4', user: 'kplay-pwuser', becomePasswordEnv: 'KPLAY_LAB_PASSWORD' },
    });
    assert.equal(lab.env[LAB_ENV.passphrase], lab.passphrase);
    assert.equal(lab.env[LAB_ENV.password], lab.users.sudoerPassword.password);
    const without = parse(readFileSync(lab.inventory({ defaults: { identityFile: undefined } }), 'utf8')) as Doc;
    assert.ok(!('identityFile' in without.defaults), 'undefined removes a default');
  });

  test('a lab whose process is interrupted or SIGKILLed leaves no sshd behind', async () => {
    const script = `
      import { startSshLab } from ${JSON.stringify(path.join(HERE, 'sshd-lab.ts'))};
      const lab = await startSshLab({ hosts: 1 });
      console.log(lab.dir);
      setInterval(() => {}, 1000);`;
    for (const sig of ['SIGTERM', 'SIGKILL'] as const) {
      const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
        cwd: REPO_ROOT,
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d));
      await waitFor(() => out.includes('\n'), 10_000);
      const dir = out.trim();
      assert.notEqual(pgrep(dir), '', 'the child lab runs');
      const exited = new Promise((r) => child.once('exit', r));
      child.kill(sig);
      await exited;
      if (sig === 'SIGKILL') {
        // Nothing can run in a SIGKILLed process: the next lab reaps it (a lab of a concurrently running
        // test file may have done so already).
        const other = await startSshLab({ hosts: 1 });
        await other.close();
      }
      assert.equal(pgrep(dir), '', `${sig}: no sshd of ${dir} left`);
      assert.equal(existsSync(dir), false);
    }
  });

  test('close() kills every sshd of the lab and removes its folder', async () => {
    const dir = lab.dir;
    assert.notEqual(pgrep(dir), '');
    await lab.close();
    assert.equal(pgrep(dir), '');
    for (const h of lab.hosts) assert.equal(h.sshdPid(), undefined);
    assert.equal(existsSync(dir), false);
    await lab.close(); // idempotent
  });
});

async function waitFor(cond: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
