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
  rows.push(row('kplay --version', version, 300));
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
