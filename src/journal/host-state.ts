import { hostname } from 'node:os';
import type { Connection } from '../connection/types.js';
import { shellQuote } from '../template/shell-quote.js';
import { parseJournal } from './run-store.js';
import type { HostStateRef, JournalEntry } from './run-store.js';

export type { HostStateRef } from './run-store.js';

function hostDir(ref: HostStateRef): string {
  const pick = ref.dir ? `d=${shellQuote(ref.dir)}` : `d=/var/lib/kplay; [ "$(id -u)" = 0 ] || d="$HOME/.kplay"`;
  return `${pick}; mkdir -p -m 700 "$d/runs" "$d/backup" || exit 70`;
}

/** Who holds a host's lock. */
export interface LockOwner {
  runId: string;
  /** The inventory name the run reached the host by: another name of the same machine meets it here. */
  host?: string;
  controller: string;
  pid: number;
  started: string;
}

async function sh(conn: Connection, ref: HostStateRef, script: string): Promise<{ rc: number | null; out: string; err: string }> {
  const r = await conn.run(`${hostDir(ref)}\n${script}`, { timeoutMs: 60_000, become: ref.become });
  return { rc: r.rc, out: r.stdout.toString('utf8'), err: r.stderr.toString('utf8') };
}

/** Appends journal lines to the host's copy of the run's journal. */
export async function appendHostJournal(conn: Connection, ref: HostStateRef, runId: string, entries: JournalEntry[]): Promise<void> {
  const lines = entries.map((e) => `${JSON.stringify(e)}\n`).join('');
  const r = await sh(conn, ref, `printf '%s' ${shellQuote(lines)} >> "$d/runs/"${shellQuote(`${runId}.ndjson`)}`);
  if (r.rc !== 0) throw new Error(`cannot write the journal on ${conn.name}: ${r.err.trim() || `exit status ${r.rc}`}`);
}

/** The host's copy of a run's journal (empty when it has none). */
export async function readHostJournal(conn: Connection, ref: HostStateRef, runId: string): Promise<JournalEntry[]> {
  const r = await sh(conn, ref, `cat -- "$d/runs/"${shellQuote(`${runId}.ndjson`)} 2>/dev/null || true`);
  return parseJournal(r.out);
}

/** The folder where copies of replaced files go, on the host. */
export async function hostBackupDir(conn: Connection, ref: HostStateRef, runId: string): Promise<string> {
  const r = await sh(conn, ref, `b="$d/backup/"${shellQuote(runId)}; mkdir -p -m 700 "$b" && printf '%s' "$b"`);
  if (r.rc !== 0) throw new Error(`cannot create a backup folder on ${conn.name}: ${r.err.trim()}`);
  return r.out;
}

/**
 * Takes the host's lock for a run (mkdir is atomic). Returns undefined on success, or the owner of
 * the lock another run holds (or this run, through another of its hosts). With `force`, takes
 * another run's lock over.
 */
export async function acquireLock(conn: Connection, ref: HostStateRef, runId: string, opts: { force: boolean; host?: string }): Promise<LockOwner | undefined> {
  const owner: LockOwner = { runId, host: opts.host, controller: hostname(), pid: process.pid, started: new Date().toISOString() };
  const take = `printf '%s\\n' ${shellQuote(JSON.stringify(owner))} > "$d/lock/owner"`;
  const script = [
    // This run holding it already means another of its hosts is this machine: --force must not hide that.
    `grep -qF -- ${shellQuote(`"runId":"${runId}"`)} "$d/lock/owner" 2>/dev/null && { cat -- "$d/lock/owner"; exit 9; }`,
    opts.force ? `rm -rf -- "$d/lock"` : '',
    `if mkdir "$d/lock" 2>/dev/null; then ${take}; exit 0; fi`,
    // The winner of a simultaneous mkdir writes its owner file a moment later.
    `for i in 1 2 3 4 5 6 7 8 9 10; do [ -s "$d/lock/owner" ] && break; sleep 0.1; done`,
    `cat -- "$d/lock/owner" 2>/dev/null; exit 9`,
  ].join('\n');
  const r = await sh(conn, ref, script);
  if (r.rc === 0) return undefined;
  if (r.rc === 9) {
    try {
      return JSON.parse(r.out) as LockOwner;
    } catch {
      return { runId: 'unknown', controller: 'unknown', pid: 0, started: '' };
    }
  }
  throw new Error(`cannot take the lock on ${conn.name}: ${r.err.trim() || `exit status ${r.rc}`}`);
}

/** Run ids as kplay makes them: safe as file names, never a path. */
const RUN_ID = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

/**
 * Removes what finished runs left in the host's folder: their journals and their copies of
 * replaced files. Never the lock, nor anything of another run.
 */
export async function removeRunState(conn: Connection, ref: HostStateRef, runIds: string[]): Promise<void> {
  const bad = runIds.find((id) => !RUN_ID.test(id));
  if (bad !== undefined) throw new Error(`"${bad}" is not a run id`);
  if (!runIds.length) return;
  const paths = runIds.flatMap((id) => [`"$d/runs/"${shellQuote(`${id}.ndjson`)}`, `"$d/backup/"${shellQuote(id)}`]);
  const r = await sh(conn, ref, `rm -rf -- ${paths.join(' ')}`);
  if (r.rc !== 0) throw new Error(`cannot remove old runs' records on ${conn.name}: ${r.err.trim() || `exit status ${r.rc}`}`);
}

/** Releases the host's lock if this run holds it. */
export async function releaseLock(conn: Connection, ref: HostStateRef, runId: string): Promise<void> {
  await sh(conn, ref, `grep -q ${shellQuote(`"runId":"${runId}"`)} "$d/lock/owner" 2>/dev/null && rm -rf -- "$d/lock"; true`);
}
