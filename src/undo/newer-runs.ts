import type { SshTarget } from '../connection/ssh.js';
import { KplayError } from '../errors.js';
import { listRuns, pendingUndos } from '../journal/run-store.js';
import type { RunRecord, RunStore } from '../journal/run-store.js';
import { undoPaths } from '../tasks/undos.js';
import { readUndo } from './run-undo.js';

/** Paths that a newer run changed, and has not undone, on a host whose changes a rollback would undo. */
export interface NewerChange {
  /** The newer run. */
  runId: string;
  /** The host, as the run being rolled back names it. */
  host: string;
  paths: string[];
}

/** One machine, whatever an inventory calls it: where kplay connects to. */
function machine(name: string, record: RunRecord): string {
  const t: SshTarget | undefined = record.hosts[name];
  return `${t?.address ?? name}:${t?.port ?? 22}`;
}

/** A host's paths that a run's pending undos would change, with the machine it is. */
interface HostPaths {
  machine: string;
  host: string;
  paths: Set<string>;
}

function pendingPaths(store: RunStore, record: RunRecord): HostPaths[] {
  return [...pendingUndos(store.entries())].flatMap(([host, list]) => {
    const paths = list.flatMap((p) => {
      const spec = p.undo && readUndo(p.undo);
      return spec ? undoPaths(spec) : [];
    });
    return paths.length ? [{ machine: machine(host, record), host, paths: new Set(paths) }] : [];
  });
}

/**
 * What runs started after this one changed on the same hosts and paths and still have in place.
 * Undoing this run then would put back a state from before theirs, under their changes. Only
 * built-in undos name their paths; a user's rollback command is not looked into.
 */
export function newerChanges(root: string, store: RunStore): NewerChange[] {
  const record = store.record();
  const mine = pendingPaths(store, record);
  if (!mine.length) return [];
  const found: NewerChange[] = [];
  for (const other of listRuns(root)) {
    const r = other.record();
    if (r.runId === record.runId || r.started <= record.started) continue;
    for (const theirs of pendingPaths(other, r)) {
      for (const own of mine.filter((m) => m.machine === theirs.machine)) {
        const both = [...theirs.paths].filter((p) => own.paths.has(p));
        if (both.length) found.push({ runId: r.runId, host: own.host, paths: both.sort() });
      }
    }
  }
  return found;
}

/** Refuses (exit 4) to roll back a run under a newer run's changes, naming them and what to do. */
export function refuseNewerChanges(runId: string, changes: NewerChange[]): void {
  if (!changes.length) return;
  const what = changes.map((c) => `run ${c.runId} changed ${c.paths.join(', ')} on ${c.host}`).join('; ');
  const newer = [...new Set(changes.map((c) => c.runId))];
  throw new KplayError('E_ROLLBACK_ORDER', `run ${runId} was not rolled back: a newer run changed the same paths since (${what})`, {
    hint: `Roll back the newer run first (kplay rollback ${newer[0]}), or, to undo ${runId} over it anyway, kplay rollback ${runId} --force.`,
  });
}
