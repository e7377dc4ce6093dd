// `npm run bench`: wall times of what a user waits for, measured by spawning the built CLI as a
// user would (so Node's start-up counts), with medians over several runs on a noisy machine.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildBase, shippedFiles } from './baseline.js';
import type { Build } from './baseline.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BIN = path.join(ROOT, 'bin/kplay.cjs');

interface Row {
  what: string;
  runs: number;
  medianMs: number;
  minMs: number;
  maxMs: number;
  targetMs?: number;
}

function timeCli(bin: string, cwd: string, args: string[], runs: number): number[] {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(process.execPath, [bin, ...args], { cwd, encoding: 'utf8', maxBuffer: 1 << 30 });
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

/** The start-up commands a user waits for, each with its target. */
function startupCommands(build: Build, big: { playbook: string; inventory: string }): { what: string; args: string[]; targetMs: number; every: number }[] {
  const files = shippedFiles(build.root);
  return [
    { what: 'kplay --version', args: ['--version'], targetMs: 150, every: 1 },
    { what: `kplay validate (${files.length} shipped files)`, args: ['validate', ...files], targetMs: 300, every: 1 },
    { what: 'kplay plan, 500 hosts x 30 tasks, -o json', args: ['plan', big.playbook, '-i', big.inventory, '-o', 'json'], targetMs: 1000, every: 2 },
  ];
}

function main(): void {
  const runs = Number(process.env.KPLAY_BENCH_RUNS ?? 15);
  const big = writeLargeFixture(500, 30);
  const current: Build = { label: 'this build', root: ROOT, bin: BIN };
  const base = buildBase(ROOT);
  const builds = base ? [current, base] : [current];
  const commands = builds.map((b) => startupCommands(b, big));
  const times = commands.map((cmds) => cmds.map((): number[] => []));
  for (const b of builds) timeCli(b.bin, b.root, ['--version'], 2); // warm the file cache
  // Interleave the commands and the builds so that a burst of load on the shared machine hits all of them alike.
  for (let i = 0; i < runs; i++) {
    for (let c = 0; c < commands[0]!.length; c++) {
      builds.forEach((b, k) => {
        const cmd = commands[k]![c]!;
        if (i % cmd.every === 0) times[k]![c]!.push(...timeCli(b.bin, b.root, cmd.args, 1));
      });
    }
  }
  const rows: Row[] = commands[0]!.map((cmd, c) => row(cmd.what, times[0]![c]!, cmd.targetMs));
  const baseRows = base ? commands[1]!.map((cmd, c) => row(cmd.what, times[1]![c]!)) : [];

  const widths = [48, 6, 10, 8, 8, 12, 12, 8];
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join(' ');
  console.log(`kplay benchmarks, ${new Date().toISOString().slice(0, 10)}, ${os.cpus().length} x ${os.cpus()[0]?.model ?? 'cpu'}, Node ${process.version}`);
  if (base) console.log(`side by side with ${base.label}: its median, and this build's median divided by it (below 1: faster)`);
  console.log(line(['what', 'runs', 'median ms', 'min', 'max', 'target', base ? 'base median' : '', base ? 'ratio' : '']));
  rows.forEach((r, i) => {
    const verdict = r.targetMs === undefined ? '' : `${r.medianMs <= r.targetMs ? '<=' : '>'} ${r.targetMs} ms`;
    const b = baseRows[i];
    const baseCells = b ? [`${b.medianMs.toFixed(0)}${b.what === r.what ? '' : ` (${b.what.replace(/^.*\((\d+) .*$/, '$1')} files)`}`, (r.medianMs / b.medianMs).toFixed(2)] : [];
    console.log(line([r.what, String(r.runs), r.medianMs.toFixed(0), r.minMs.toFixed(0), r.maxMs.toFixed(0), verdict, ...baseCells]));
  });
  const failed = rows.filter((r) => r.targetMs !== undefined && r.medianMs > r.targetMs);
  if (failed.length) console.log(`over target: ${failed.map((r) => r.what).join('; ')}`);
  if (base) rmSync(base.root, { recursive: true, force: true });
}

main();
if (process.env.KPLAY_BENCH_SSH !== '0') await sshSection();
