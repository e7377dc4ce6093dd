import { ExitCode, InvalidInputError, KplayError } from '../errors.js';
import { loadInventory } from '../inventory/inventory.js';
import { sshTarget, targetSecrets } from './run-playbook.js';
import { LocalConnection } from '../connection/local.js';
import { connectSsh } from '../connection/ssh.js';
import type { SshTarget } from '../connection/ssh.js';
import type { Connection } from '../connection/types.js';
import { ConnectionLost } from '../connection/types.js';
import { appendHostJournal, readHostJournal, releaseLock } from '../journal/host-state.js';
import { effectiveState, listRuns, pendingUndos, RunStore, stateDir } from '../journal/run-store.js';
import type { JournalEntry, RunRecord, RunState } from '../journal/run-store.js';
import { sealedSecretValues } from '../journal/secret-seal.js';
import { newerChanges, refuseNewerChanges } from '../undo/newer-runs.js';
import { undoHost } from '../undo/undo-host.js';
import type { Recap, Reporter, RunEvent, UntimedEvent } from '../report/events.js';

/** States in which a run has changes on its hosts that a rollback can undo. */
const UNDOABLE: ReadonlySet<RunState> = new Set(['committed', 'detached', 'host_lost', 'rollback_incomplete', 'crashed']);

/** A run as `kplay runs` lists it. */
export interface RunListing {
  runId: string;
  state: RunState;
  playbook: string;
  hosts: string[];
  started: string;
  ended?: string;
  /** Changes journaled and not undone yet. */
  pending: number;
}

/** Every run on this controller, newest first. */
export function listRunStates(env: NodeJS.ProcessEnv = process.env): RunListing[] {
  return listRuns(stateDir(env)).map((s) => {
    const r = s.record();
    const pending = [...pendingUndos(s.entries()).values()].reduce((n, l) => n + l.length, 0);
    return { runId: r.runId, state: effectiveState(r), playbook: r.playbook, hosts: Object.keys(r.hosts), started: r.started, ended: r.ended, pending };
  });
}

/** How to roll back. */
export interface RollbackRequest {
  /** Default: the latest run with changes in place. */
  runId?: string;
  /**
   * For a run this controller has no record of (its state folder is lost, or the run came from
   * another machine): the hosts to look at. Their own journals then say what to undo.
   */
  inventory?: string;
  /** The reporter, given the secrets (named by the run's hosts) that it must mask. */
  reporter(secrets: string[]): Reporter;
  env?: NodeJS.ProcessEnv;
  sshConfigFile?: string;
  /**
   * `--force`: undo files that changed since kplay wrote them (keeping the changed ones), and a
   * run whose paths a newer run changed since.
   */
  force?: boolean;
}

function chooseRun(root: string, runId: string | undefined): RunStore {
  if (runId) {
    const s = new RunStore(root, runId);
    if (!s.exists()) {
      throw new KplayError('E_USAGE', `no run ${runId} in ${root}`, { hint: '`kplay runs` lists the runs kplay knows; KPLAY_STATE_DIR moves where it keeps them.' });
    }
    return s;
  }
  const found = listRuns(root).find((s) => UNDOABLE.has(effectiveState(s.record())) && pendingUndos(s.entries()).size > 0);
  if (!found) throw new KplayError('E_USAGE', 'no run has changes left to undo', { hint: '`kplay runs` lists the runs and their states.' });
  return found;
}

/** Merges the controller's journal with a host's copy: either may have lines the other missed. */
function merge(local: JournalEntry[], remote: JournalEntry[]): JournalEntry[] {
  const key = (e: JournalEntry) => `${e.host}|${e.change}|${e.phase}|${e.time}`;
  const seen = new Set(local.map(key));
  return [...local, ...remote.filter((e) => !seen.has(key(e)))].sort((a, b) => a.change - b.change || a.time.localeCompare(b.time));
}

/**
 * Replays a run's undo steps, newest first, host by host: `kplay rollback`. Each undo checks the
 * real state first, so running this twice is safe, and changes left at "intent" (kplay died
 * mid-change) are handled whether or not they happened.
 */
export async function rollbackRun(req: RollbackRequest): Promise<{ exitCode: number; runId: string; leftBehind: string[] }> {
  const env = req.env ?? process.env;
  const root = stateDir(env);
  const known = req.runId === undefined || new RunStore(root, req.runId).exists();
  const store = known || !req.inventory ? chooseRun(root, req.runId) : recordFromInventory(root, req.runId!, req.inventory);
  const record: RunRecord = store.record();
  const state = effectiveState(record);
  if (state === 'running') {
    throw new KplayError('E_USAGE', `run ${record.runId} is still running (pid ${record.pid})`, { hint: 'Press Ctrl-C in that run: it rolls back by itself.' });
  }
  if (!req.force) refuseNewerChanges(record.runId, newerChanges(root, store));
  const started = performance.now();
  // Secrets sealed in the journal's undos are read again to run them: their values are masked too.
  const reporter = req.reporter([...targetSecrets(Object.values(record.hosts), env), ...sealedSecretValues(store.entries(), env)]);
  const emit = (e: UntimedEvent): void => reporter.onEvent({ ...e, time: new Date().toISOString() } as RunEvent);
  const hosts = Object.keys(record.hosts);
  emit({ type: 'run_start', runId: record.runId, playbook: `rollback of ${record.playbook}`, file: record.playbookFile, hosts });
  const local = new LocalConnection();
  const lookup = (name: string): SshTarget | undefined => record.hosts[name];
  const recap: Record<string, Recap> = {};
  const leftBehind: string[] = [];
  let unreachable = false;
  await Promise.all(
    hosts.map(async (host) => {
      const counts: Recap = { ok: 0, changed: 0, failed: 0, skipped: 0, unreachable: 0 };
      recap[host] = counts;
      emit({ type: 'host_start', host, address: record.hosts[host]!.address ?? host });
      let conn: Connection | undefined;
      const ref = record.hostState[host] ?? { become: false };
      try {
        conn = await connectSsh(record.hosts[host]!, { env, sshConfigFile: req.sshConfigFile, lookup });
        const entries = merge(store.entries(), await readHostJournal(conn, ref, record.runId));
        const left = await undoHost({
          host,
          conn,
          local,
          entries,
          force: req.force,
          record: async (e) => {
            const full: JournalEntry = { ...e, host, time: new Date().toISOString() };
            store.append(full);
            await appendHostJournal(conn!, ref, record.runId, [full]);
          },
          emit: (e) => {
            if (e.type === 'task_end') counts[e.status]++;
            emit(e);
          },
        });
        leftBehind.push(...left);
        if (!left.length) await releaseLock(conn, ref, record.runId);
        emit({ type: 'host_end', host, status: left.length ? 'failed' : 'ok', recap: counts, message: left[0] });
      } catch (e) {
        if (!(e instanceof ConnectionLost)) throw e;
        unreachable = true;
        counts.unreachable = 1;
        leftBehind.push(`${host}: unreachable (${e.message}); run kplay rollback ${record.runId} again when it is back`);
        emit({ type: 'host_end', host, status: 'unreachable', recap: counts, message: e.message, hint: e.hint });
      } finally {
        await conn?.close().catch(() => undefined);
      }
    }),
  );
  await local.close();
  store.setState(leftBehind.length ? (unreachable ? 'host_lost' : 'rollback_incomplete') : 'rolled_back');
  const exitCode = leftBehind.length ? (unreachable && leftBehind.every((l) => l.includes('unreachable')) ? ExitCode.unreachable : ExitCode.rollbackIncomplete) : ExitCode.ok;
  emit({ type: 'run_end', runId: record.runId, exitCode, durationMs: Math.round(performance.now() - started), recap });
  await reporter.close();
  return { exitCode, runId: record.runId, leftBehind };
}

/** A local record for a run known only to its hosts, built from an inventory (the hosts keep the journal). */
function recordFromInventory(root: string, runId: string, inventoryFile: string): RunStore {
  const loaded = loadInventory(inventoryFile);
  if (!loaded.value) throw new InvalidInputError(loaded.problems);
  const inv = loaded.value;
  return RunStore.create(root, {
    runId,
    playbook: '(recovered from the hosts\' journals)',
    playbookFile: '',
    inventoryFile: inv.src?.absPath ?? inventoryFile,
    started: new Date().toISOString(),
    pid: 0,
    state: 'host_lost',
    hosts: Object.fromEntries([...inv.hosts.values()].map((h) => [h.name, sshTarget(h)])),
    hostState: Object.fromEntries([...inv.hosts.values()].map((h) => [h.name, { become: h.connection.become ?? false, dir: h.connection.stateDir }])),
  });
}
