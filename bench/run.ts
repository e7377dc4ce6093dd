// `npm run bench`: wall times of what a user waits for, measured by spawning the built CLI as a
// user would (so Node's start-up counts), with medians over several runs on a noisy machine.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BIN = path.join(ROOT, 'bin/kplay.js');

interface Row {
  what: string;
  runs: number;
  medianMs: number;
  minMs: number;
  maxMs: number;
  targetMs?: number;
}

function timeCli(args: string[], runs: number): number[] {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8', maxBuffer: 1 << 30 });
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (r.status !== 0) throw new Error(`kplay ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
    times.push(ms);
  }
  return times;
}

function row(what: string, times: number[], targetMs?: number): Row {
  const sorted = [...times].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const medianMs = sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { what, runs: times.length, medianMs, minMs: sorted[0]!, maxMs: sorted[sorted.length - 1]!, targetMs };
}

/** A playbook and inventory of the given size, every task templated per host. */
export function writeLargeFixture(hosts: number, tasks: number): { playbook: string; inventory: string } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kplay-bench-'));
  const inv = ['hosts:'];
  for (let i = 0; i < hosts; i++) inv.push(`  h${i}: {address: 127.0.${Math.floor(i / 250)}.${(i % 250) + 2}, vars: {idx: ${i}}}`);
  inv.push('groups:', '  even:', `    hosts: [${Array.from({ length: hosts }, (_, i) => i).filter((i) => i % 2 === 0).map((i) => `h${i}`).join(', ')}]`, '    vars: {parity: even}');
  const pb = ['name: Large plan', 'hosts: all', 'vars: {parity: odd, base: /var/lib/kplay, file: "{{base}}/{{host.name}}.txt"}', 'tasks:'];
  for (let t = 0; t < tasks; t++) {
    pb.push(`  - name: task ${t}`, `    command: echo {{host.name}} {{idx}} {{parity}} ${t} > {{file}}`, `    rollback: rm -f {{file}}`, '    when: (ne parity "none")');
  }
  writeFileSync(path.join(dir, 'inventory.yaml'), `${inv.join('\n')}\n`);
  writeFileSync(path.join(dir, 'playbook.yaml'), `${pb.join('\n')}\n`);
  return { playbook: path.join(dir, 'playbook.yaml'), inventory: path.join(dir, 'inventory.yaml') };
}

function shippedFiles(): string[] {
  const top = readdirSync(path.join(ROOT, 'playbooks')).filter((f) => f.endsWith('.yaml')).map((f) => `playbooks/${f}`);
  const lib = readdirSync(path.join(ROOT, 'playbooks/lib')).filter((f) => f.endsWith('.yaml')).map((f) => `playbooks/lib/${f}`);
  return [...top, ...lib];
}

async function sshSection(): Promise<void> {
  const { sshLabUnavailable, startSshLab } = await import('../test/support/sshd-lab.js');
  const { ansibleAvailable, benchSsh } = await import('./ssh.js');
  const why = sshLabUnavailable();
  if (why) {
    console.log(`\nSSH benchmarks skipped: ${why}`);
    return;
  }
  const withAnsible = ansibleAvailable() && process.env.KPLAY_BENCH_ANSIBLE !== '0';
  if (!ansibleAvailable()) console.log('\nAnsible skipped: ansible-playbook is not installed (apt-get install ansible-core).');
  const reps = Number(process.env.KPLAY_BENCH_SSH_REPS ?? 3);
  const sizes: [number, number, boolean][] = [
    [8, 20, withAnsible],
    [50, 20, withAnsible],
    [100, 50, false],
  ];
  const lab = await startSshLab({ hosts: 100 });
  const root = mkdtempSync(path.join(os.tmpdir(), 'kplay-bench-ssh-'));
  try {
    console.log(`\nSSH: ${reps} alternating repetitions each, medians in ms; floor = one OpenSSH session per host running the same commands`);
    const cols = [14, 6, 10, 10, 12, 12, 16, 12];
    const line = (cells: string[]) => cells.map((c, i) => c.padEnd(cols[i]!)).join(' ');
    console.log(line(['hosts x tasks', 'work', 'kplay', 'floor', 'kplay/floor', 'ansible', 'ansible/kplay', 'kplay peak']));
    // KPLAY_BENCH_SIZES=8x20,100x50 and KPLAY_BENCH_WORK=true|mix narrow a run (the full one takes a while).
    const only = process.env.KPLAY_BENCH_SIZES?.split(',');
    const kinds = (process.env.KPLAY_BENCH_WORK?.split(',') ?? ['true', 'mix']) as ('true' | 'mix')[];
    for (const kind of kinds) {
      for (const [n, m, ansible] of sizes.filter(([n, m]) => !only || only.includes(`${n}x${m}`))) {
        // Ansible runs the /bin/true work only: at 50 x 20 one run of it takes six minutes here.
        const r = await benchSsh(lab, root, BIN, n, m, kind, reps, ansible && kind === 'true');
        console.log(
          line([
            r.size,
            r.work,
            r.kplayMs.toFixed(0),
            r.floorMs.toFixed(0),
            (r.kplayMs / r.floorMs).toFixed(2),
            r.ansibleMs === undefined ? '-' : r.ansibleMs.toFixed(0),
            r.ansibleMs === undefined ? '-' : (r.ansibleMs / r.kplayMs).toFixed(1),
            `${r.kplayPeakMB.toFixed(0)} MB`,
          ]),
        );
      }
    }
  } finally {
    await lab.close();
  }
}

function main(): void {
  const runs = Number(process.env.KPLAY_BENCH_RUNS ?? 15);
  const rows: Row[] = [];
  const files = shippedFiles();
  const big = writeLargeFixture(500, 30);
  // Interleave the commands so that a burst of load on the shared machine hits all of them alike.
  const version: number[] = [];
  const validate: number[] = [];
  const plan: number[] = [];
  timeCli(['--version'], 2); // warm the file cache
  for (let i = 0; i < runs; i++) {
    version.push(...timeCli(['--version'], 1));
    validate.push(...timeCli(['validate', ...files], 1));
    if (i % 2 === 0) plan.push(...timeCli(['plan', big.playbook, '-i', big.inventory, '-o', 'json'], 1));
  }
  rows.push(row('kplay --version', version, 150));
  rows.push(row(`kplay validate (${files.length} shipped files)`, validate, 300));
  rows.push(row('kplay plan, 500 hosts x 30 tasks, -o json', plan, 1000));

  const widths = [48, 6, 10, 8, 8, 10];
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join(' ');
  console.log(`kplay benchmarks, ${new Date().toISOString().slice(0, 10)}, ${os.cpus().length} x ${os.cpus()[0]?.model ?? 'cpu'}, Node ${process.version}`);
  console.log(line(['what', 'runs', 'median ms', 'min', 'max', 'target']));
  for (const r of rows) {
    const verdict = r.targetMs === undefined ? '' : `${r.medianMs <= r.targetMs ? '<=' : '>'} ${r.targetMs} ms`;
    console.log(line([r.what, String(r.runs), r.medianMs.toFixed(0), r.minMs.toFixed(0), r.maxMs.toFixed(0), verdict]));
  }
  const failed = rows.filter((r) => r.targetMs !== undefined && r.medianMs > r.targetMs);
  if (failed.length) console.log(`over target: ${failed.map((r) => r.what).join('; ')}`);
}

main();
if (process.env.KPLAY_BENCH_SSH !== '0') await sshSection();
