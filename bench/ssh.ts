// kplay against the SSH floor and Ansible on the same work, on real sshd hosts started here
// (the test suite's lab: one sshd per loopback address). Runs alternate, so load on a shared
// machine hits all three alike; medians of several repetitions are compared.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { SshLab } from '../test/support/sshd-lab.js';

export interface SshRow {
  size: string;
  work: 'true' | 'mix';
  kplayMs: number;
  floorMs: number;
  ansibleMs?: number;
  kplayPeakMB: number;
}

interface Timed {
  ms: number;
  peakKB?: number;
  code: number | null;
  out: string;
}

/** Runs a command, timing its wall clock; with `measureMemory`, through GNU time for peak RSS. */
function timed(cmd: string, args: string[], opts: { cwd: string; env?: NodeJS.ProcessEnv; measureMemory?: boolean }): Promise<Timed> {
  const memFile = path.join(opts.cwd, `mem-${process.hrtime.bigint()}`);
  const [c, a] = opts.measureMemory ? ['/usr/bin/time', ['-f', '%M', '-o', memFile, cmd, ...args]] : [cmd, args];
  return new Promise((resolve) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(c, a, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', () => undefined);
    child.stderr.on('data', (d: Buffer) => (out += d));
    child.on('close', async (code) => {
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      let peakKB: number | undefined;
      if (opts.measureMemory) {
        const { readFileSync } = await import('node:fs');
        peakKB = Number(readFileSync(memFile, 'utf8').trim().split('\n').pop());
      }
      resolve({ ms, peakKB, code, out });
    });
  });
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** The tasks of one benchmark, in kplay's YAML, Ansible's YAML and as one shell loop (the floor). */
function work(kind: 'true' | 'mix', m: number, dir: string): { kplay: string; ansible: string; floor: string } {
  const small = path.join(dir, 'small.txt');
  writeFileSync(small, 'a small file for the copy tasks\n');
  const k: string[] = ['name: bench', 'hosts: all', 'tasks:'];
  const a: string[] = ['- hosts: all', '  gather_facts: false', '  tasks:'];
  const f: string[] = [];
  for (let i = 0; i < m; i++) {
    const pick = kind === 'mix' ? i % 5 : 4; // 0: copy, 1: read, else command
    if (pick === 0) {
      const dest = `/tmp/kplay-bench-{{host.name}}-${i}.txt`;
      k.push(`  - name: copy ${i}`, `    copy: {src: ${small}, dest: "${dest}"}`);
      a.push(`    - name: copy ${i}`, `      copy: {src: ${small}, dest: "/tmp/ansible-bench-{{ inventory_hostname }}-${i}.txt"}`);
      f.push(`cat > /tmp/floor-bench-$h-${i}.txt < /etc/hostname`);
    } else if (pick === 1) {
      k.push(`  - name: read ${i}`, '    read: {path: /etc/os-release, format: env}', `    register: r${i}`);
      a.push(`    - name: read ${i}`, '      slurp: {src: /etc/os-release}', `      register: r${i}`);
      f.push('cat /etc/os-release >/dev/null');
    } else {
      k.push(`  - name: true ${i}`, '    command: /bin/true');
      a.push(`    - name: true ${i}`, '      command: /bin/true');
      f.push('/bin/true');
    }
  }
  return { kplay: `${k.join('\n')}\n`, ansible: `${a.join('\n')}\n`, floor: f.join('; ') };
}

/** Whether ansible-playbook is installed (Debian's ansible-core). */
export function ansibleAvailable(): boolean {
  return existsSync('/usr/bin/ansible-playbook');
}

/** One size: N hosts x M tasks of the given work, `reps` alternating repetitions of each tool. */
export async function benchSsh(lab: SshLab, root: string, bin: string, n: number, m: number, kind: 'true' | 'mix', reps: number, withAnsible: boolean): Promise<SshRow> {
  const dir = path.join(root, `${kind}-${n}x${m}`);
  mkdirSync(dir, { recursive: true });
  const hosts = lab.hosts.slice(0, n);
  const w = work(kind, m, dir);
  writeFileSync(path.join(dir, 'playbook.yaml'), w.kplay);
  const inv = lab.inventory({ hosts: hosts.map((h) => h.name) });
  const env = { ...process.env, SSH_AUTH_SOCK: '', KPLAY_STATE_DIR: path.join(dir, 'state') };

  // Ansible: pipelining and ControlPersist, forks = N, the lab's key and known_hosts.
  writeFileSync(
    path.join(dir, 'hosts.ini'),
    `[all]\n${hosts.map((h) => `${h.name} ansible_host=${h.address} ansible_port=${h.port} ansible_user=root`).join('\n')}\n`,
  );
  writeFileSync(
    path.join(dir, 'ansible.cfg'),
    [
      '[defaults]',
      `forks = ${n}`,
      'host_key_checking = True',
      `private_key_file = ${lab.clientKey}`,
      'interpreter_python = auto_silent',
      'gathering = explicit',
      'retry_files_enabled = False',
      '[ssh_connection]',
      'pipelining = True',
      `ssh_args = -o ControlMaster=auto -o ControlPersist=60s -o UserKnownHostsFile=${lab.knownHosts} -o IdentitiesOnly=yes`,
      `control_path_dir = ${path.join(dir, 'cp')}`,
    ].join('\n'),
  );
  writeFileSync(path.join(dir, 'ansible.yaml'), w.ansible);

  const kplayMs: number[] = [];
  const floorMs: number[] = [];
  const ansibleMs: number[] = [];
  let peak = 0;
  const floorArgs = (h: (typeof hosts)[number]) => [
    '-F', '/dev/null', '-i', lab.clientKey, '-o', 'IdentitiesOnly=yes', '-o', `UserKnownHostsFile=${lab.knownHosts}`,
    '-o', 'BatchMode=yes', '-p', String(h.port), `root@${h.address}`, `h=${h.name}; ${w.floor}`,
  ];
  for (let rep = 0; rep < reps; rep++) {
    const k = await timed(process.execPath, [bin, 'run', 'playbook.yaml', '-i', inv, '-o', 'json', '--forks', String(n)], { cwd: dir, env, measureMemory: true });
    if (k.code !== 0) throw new Error(`kplay failed (${k.code}): ${k.out.slice(-2000)}`);
    kplayMs.push(k.ms);
    peak = Math.max(peak, k.peakKB ?? 0);

    // The floor: one OpenSSH session per host, all at once, each running the same commands in a loop.
    const t0 = process.hrtime.bigint();
    const results = await Promise.all(hosts.map((h) => timed('ssh', floorArgs(h), { cwd: dir, env })));
    if (results.some((r) => r.code !== 0)) throw new Error(`the floor failed: ${results.find((r) => r.code !== 0)!.out}`);
    floorMs.push(Number(process.hrtime.bigint() - t0) / 1e6);

    if (withAnsible) {
      const a = await timed('ansible-playbook', ['-i', 'hosts.ini', 'ansible.yaml'], { cwd: dir, env: { ...env, ANSIBLE_CONFIG: path.join(dir, 'ansible.cfg') } });
      if (a.code !== 0) throw new Error(`ansible-playbook failed (${a.code}): ${a.out.slice(-2000)}`);
      ansibleMs.push(a.ms);
    }
  }
  return {
    size: `${n} x ${m}`,
    work: kind,
    kplayMs: median(kplayMs),
    floorMs: median(floorMs),
    ansibleMs: withAnsible ? median(ansibleMs) : undefined,
    kplayPeakMB: peak / 1024,
  };
}
