import { envExports } from '../connection/task-script.js';
import type { KindDef } from './kind.js';
import { TaskFailed } from './kind.js';

/** A shell command, with an optional folder and environment. */
export interface CommandArgs {
  cmd: string;
  cwd?: string;
  env?: Record<string, string>;
}

export const command: KindDef<'command', CommandArgs> = {
  kind: 'command',
  changes: true,
  shellFields: ['cmd'],
  normalize: (w) => (typeof w === 'string' ? { cmd: w } : { ...w, env: stringify(w.env) }),
  preview(a) {
    const lines = [...envExports(a.env), a.cmd].map((l) => `$ ${l}`);
    if (a.cwd) lines.push(`  (in ${a.cwd})`);
    return lines;
  },
  async execute(ctx, a) {
    const r = await ctx.conn.run(a.cmd, { timeoutMs: ctx.timeoutMs, env: a.env, cwd: a.cwd, become: ctx.become, onOutput: ctx.onOutput, signal: ctx.signal });
    const outcome = { rc: r.rc, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
    if (ctx.signal.aborted) throw new TaskFailed('interrupted; its processes were stopped', outcome);
    if (r.timedOut) throw new TaskFailed(`timed out after ${Math.round(ctx.timeoutMs / 1000)}s; its processes were killed`, { ...outcome, timedOut: true });
    if (r.signal) throw new TaskFailed(`killed by ${r.signal}`, outcome);
    if (r.rc !== 0) throw new TaskFailed(`exit status ${r.rc}`, outcome);
    return { status: 'changed', ...outcome };
  },
};

/** Environment values may be written as numbers or booleans; the process sees strings. */
export function stringify(env: Record<string, string | number | boolean> | undefined): Record<string, string> | undefined {
  if (!env) return undefined;
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, String(v)]));
}
