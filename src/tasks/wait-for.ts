import { setTimeout as sleep } from 'node:timers/promises';
import type { WaitFor } from '../config/playbook.generated.js';
import { durationMs } from '../config/duration.js';
import { shellQuote } from '../template/index.js';
import type { KindDef } from './kind.js';
import { portProblem, TaskFailed } from './kind.js';

/** Defaults a person would guess: a port is waited open, a path or process present. */
export function waitState(a: WaitFor): NonNullable<WaitFor['state']> {
  return a.state ?? (a.port !== undefined ? 'open' : 'present');
}

/** /proc/net/tcp writes IPv4 addresses as little-endian hex. */
function procHex(ipv4: string): string | undefined {
  const parts = ipv4.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) return undefined;
  return parts
    .reverse()
    .map((p) => p.toString(16).padStart(2, '0'))
    .join('')
    .toUpperCase();
}

/**
 * A shell check that exits 0 when the condition holds now. Only tools every Linux host has:
 * a listening port is read from /proc/net/tcp{,6} (no nc, ss or bash /dev/tcp needed), and
 * process lookups leave out the checking process itself, whose own command line holds the pattern.
 */
export function checkScript(a: WaitFor): string {
  if (a.port !== undefined) {
    const port = Number(a.port).toString(16).toUpperCase().padStart(4, '0');
    const hex = procHex(a.host ?? '127.0.0.1');
    // Listening (state 0A) on the port, bound to the address asked for or to any address.
    // (IPv6 wildcard and IPv4-mapped forms spelled out: mawk has no {n} repetition.)
    const addr = hex ? `^(${hex}|00000000|${'0'.repeat(32)}|0000000000000000FFFF0000${hex})$` : '.*';
    return `awk 'BEGIN{f=1} $4=="0A" { split($2,a,":"); if (a[2]=="${port}" && a[1] ~ /${addr}/) f=0 } END{exit f}' /proc/net/tcp /proc/net/tcp6 2>/dev/null`;
  }
  if (a.path !== undefined) return `test -e ${shellQuote(a.path)}`;
  return `for p in $(pgrep -f -- ${shellQuote(a.process!)}); do [ "$(ps -o sid= -p "$p" 2>/dev/null | tr -d ' ')" = "$$" ] || exit 0; done; exit 1`;
}

function describe(a: WaitFor): string {
  if (a.port !== undefined) return `port ${a.port} on ${a.host ?? '127.0.0.1'}`;
  if (a.path !== undefined) return `path ${a.path}`;
  return `process matching ${JSON.stringify(a.process)}`;
}

export const waitFor: KindDef<'wait_for', WaitFor> = {
  kind: 'wait_for',
  changes: false,
  shellFields: [],
  renderedChecks: { port: portProblem },
  normalize: (w) => ({ ...w }),
  preview: (a) => [`wait until ${describe(a)} is ${waitState(a)} (timeout ${a.timeout ?? '5m'}, every ${a.interval ?? '1s'})`],
  async execute(ctx, a) {
    const state = waitState(a);
    const wantPresent = state === 'open' || state === 'present';
    const limit = durationMs(a.timeout, 5 * 60_000);
    const every = durationMs(a.interval, 1000);
    const script = checkScript(a);
    const start = Date.now();
    for (let n = 1; ; n++) {
      const r = await ctx.conn.run(script, { timeoutMs: 30_000, become: ctx.become });
      if (r.rc === 0 ? wantPresent : r.rc === 1 && !wantPresent) {
        return { status: 'ok', message: `${describe(a)} is ${state} after ${((Date.now() - start) / 1000).toFixed(1)}s` };
      }
      if (r.rc !== 0 && r.rc !== 1) throw new TaskFailed(`the check failed: ${r.stderr.toString().trim() || `exit status ${r.rc}`}`, { stderr: r.stderr });
      if (Date.now() - start + every > limit) throw new TaskFailed(`timed out after ${Math.round(limit / 1000)}s waiting until ${describe(a)} is ${state}`);
      ctx.progress(`waiting until ${describe(a)} is ${state} (check ${n})`);
      await sleep(every, undefined, { signal: ctx.signal }).catch(() => {
        throw new TaskFailed('interrupted');
      });
    }
  },
};
