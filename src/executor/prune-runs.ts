import { rmSync } from 'node:fs';
import pLimit from 'p-limit';
import { ExitCode } from '../errors.js';
import { connectSsh } from '../connection/ssh.js';
import type { SshTarget } from '../connection/ssh.js';
import type { Connection } from '../connection/types.js';
import { removeRunState } from '../journal/host-state.js';
import type { HostStateRef } from '../journal/host-state.js';
import { effectiveState, listRuns, pendingUndos, stateDir } from '../journal/run-store.js';
import type { RunStore } from '../journal/run-store.js';

/** How to prune. */
export interface PruneRequest {
  env?: NodeJS.ProcessEnv;
  sshConfigFile?: string;
}

/** What a prune did: runs whose records are gone everywhere, and what is left and why. */
export interface PruneResult {
  exitCode: number;
  pruned: string[];
  /** Runs whose records stay because a host could not be cleaned: one line each. */
  problems: string[];
}

/**
 * Whether a run is over and needs nothing kept: rolled back, refused, or ended with nothing left
 * to undo. Every other state may still need its journal and its copies of replaced files (a
 * rollback to come, a host that was lost or a kplay that died, whose hosts may know more).
 */
function finished(s: RunStore): boolean {
  const state = effectiveState(s.record());
  if (state === 'rolled_back' || state === 'refused') return true;
  return state === 'committed' && pendingUndos(s.entries()).size === 0;
}

/** One host's connection settings and state folder, and the finished runs that left records there. */
interface HostWork {
  target: SshTarget;
  lookup: Record<string, SshTarget>;
  ref: HostStateRef;
  runIds: string[];
}

/** Groups the runs' hosts by where they connect and keep state: each is visited once. */
function hostWork(runs: RunStore[]): Map<string, HostWork> {
  const work = new Map<string, HostWork>();
  for (const s of runs) {
    const r = s.record();
    for (const [name, target] of Object.entries(r.hosts)) {
      const ref = r.hostState[name] ?? { become: false };
      const key = JSON.stringify([target, ref]);
      const w = work.get(key) ?? { target, lookup: r.hosts, ref, runIds: [] };
      w.runIds.push(r.runId);
      work.set(key, w);
    }
  }
  return work;
}

/** Hosts cleaned at once. */
const PRUNE_FORKS = 10;

/** Removes the runs' records on one host; returns what went wrong, if anything. */
async function cleanHost(w: HostWork, env: NodeJS.ProcessEnv, sshConfigFile: string | undefined): Promise<string | undefined> {
  let conn: Connection | undefined;
  try {
    conn = await connectSsh(w.target, { env, sshConfigFile, lookup: (n) => w.lookup[n] });
    await removeRunState(conn, w.ref, w.runIds);
    return undefined;
  } catch (e) {
    return `${w.target.name}: ${(e as Error).message}; the records of ${w.runIds.join(', ')} stay until a prune reaches it`;
  } finally {
    await conn?.close().catch(() => undefined);
  }
}

/**
 * `kplay runs --prune`: removes the records of finished runs, on the hosts (journal, copies of
 * replaced files) and then on the controller. The run records keep each host's connection
 * settings, so no inventory is needed. A run whose hosts cannot all be cleaned keeps its record
 * here, so that the next prune tries again.
 */
export async function pruneRuns(req: PruneRequest = {}): Promise<PruneResult> {
  const env = req.env ?? process.env;
  const runs = listRuns(stateDir(env)).filter(finished);
  const failedRuns = new Set<string>();
  const problems: string[] = [];
  const limit = pLimit(PRUNE_FORKS);
  await Promise.all(
    [...hostWork(runs).values()].map((w) =>
      limit(async () => {
        const problem = await cleanHost(w, env, req.sshConfigFile);
        if (!problem) return;
        for (const id of w.runIds) failedRuns.add(id);
        problems.push(problem);
      }),
    ),
  );
  const pruned = runs.filter((s) => !failedRuns.has(s.runId));
  for (const s of pruned) rmSync(s.dir, { recursive: true, force: true });
  return { exitCode: problems.length ? ExitCode.unreachable : ExitCode.ok, pruned: pruned.map((s) => s.runId), problems };
}
