import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { REPO_ROOT } from './files.js';

/** The CLI as installed: bin/kplay.cjs over the build in dist/ (run `npm run build` first). */
export const KPLAY_BIN = path.join(REPO_ROOT, 'bin/kplay.cjs');

/** What a finished kplay process left: its exit code (null if killed) and its output. */
export interface CliResult {
  code: number | null;
  out: string;
  err: string;
}

/** How to start kplay: from which folder, with which environment (merged over this process's). */
export interface CliOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
}

function spawnEnv(env: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0', ...env };
}

/** Runs the built CLI as a user would and waits for it. */
export function kplay(args: string[], opts: CliOptions = {}): CliResult {
  const r = spawnSync(process.execPath, [KPLAY_BIN, ...args], {
    cwd: opts.cwd ?? REPO_ROOT,
    encoding: 'utf8',
    env: spawnEnv(opts.env),
    timeout: opts.timeoutMs ?? 60_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** Starts kplay in the background; `exited` resolves with its code and output (stdout and stderr together). */
export function kplayAsync(args: string[], opts: CliOptions = {}) {
  const child = spawn(process.execPath, [KPLAY_BIN, ...args], { cwd: opts.cwd ?? REPO_ROOT, env: spawnEnv(opts.env), stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d));
  child.stderr.on('data', (d: Buffer) => (out += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal, out })),
  );
  return { child, exited, output: () => out };
}

/** Runs kplay with its stdout closed by the reader at once, as `kplay ... | head -0` would. */
export function kplayIntoClosedPipe(args: string[], opts: CliOptions = {}): Promise<{ code: number | null; err: string }> {
  const child = spawn(process.execPath, [KPLAY_BIN, ...args], { cwd: opts.cwd ?? REPO_ROOT, env: spawnEnv(opts.env), stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.destroy();
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, err })));
}
