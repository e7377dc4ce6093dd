import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, writeFileSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { SshTarget } from '../connection/ssh.js';

/** Where kplay keeps its runs on the controller: $KPLAY_STATE_DIR, else $XDG_STATE_HOME/kplay, else ~/.local/state/kplay. */
export function stateDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.KPLAY_STATE_DIR) return path.resolve(env.KPLAY_STATE_DIR);
  const base = env.XDG_STATE_HOME || path.join(os.homedir(), '.local', 'state');
  return path.join(base, 'kplay');
}

/**
 * Where kplay's folder is on a host and who writes it. The folder holds the lock, each run's
 * journal and copies of files kplay replaced, so that the host alone can finish a rollback.
 */
export interface HostStateRef {
  /** Written through sudo when the host's tasks use it, so the lock is shared by every user. */
  become: boolean;
  /** The inventory's stateDir; default /var/lib/kplay for root, else ~/.kplay. */
  dir?: string;
}

/**
 * An undo as the journal keeps it. The journal only stores it: what its kind and arguments mean
 * is for src/undo/ to read back (src/tasks/undos.ts types them).
 */
export interface StoredUndo {
  /** Shown while it runs. */
  name: string;
  /** A built-in undo's name, or, for a user's rollback, a task kind. */
  kind: string;
  args: unknown;
  become: boolean;
  /** With become: the user other than root it runs as (become_user). */
  becomeUser?: string;
  local: boolean;
  timeoutMs: number;
  /** A `rollback:` written by the user (rather than a kind's own undo, which checks state first). */
  userWritten: boolean;
  retries?: number;
  delayMs?: number;
  ignoreErrors?: boolean;
  /** From a task with no_log: the undo's output is not shown or journaled. */
  noLog?: boolean;
}

/** A run's change not undone yet: its intent, its undo, and how the change ended, if it did. */
export interface PendingUndo {
  intent: JournalEntry;
  undo?: StoredUndo;
  outcome?: JournalEntry['phase'];
}

/** How a run stands, as recorded; "crashed" is derived (recorded as running, process gone). */
export type RecordedState = 'running' | 'committed' | 'detached' | 'rolled_back' | 'rollback_incomplete' | 'host_lost' | 'refused';

/** What `kplay runs` shows for a run. */
export type RunState = RecordedState | 'crashed';

/** The facts about a run that a later `kplay rollback` needs, with no playbook or inventory at hand. */
export interface RunRecord {
  runId: string;
  playbook: string;
  playbookFile: string;
  inventoryFile: string;
  started: string;
  ended?: string;
  pid: number;
  state: RecordedState;
  /** Connection settings per host (never secrets: those are names of environment variables). */
  hosts: Record<string, SshTarget>;
  /** Where each host keeps kplay's state, and whether through sudo. */
  hostState: Record<string, HostStateRef>;
}

/** One line of the journal: a change's intent, its outcome, or what its undo did. */
export interface JournalEntry {
  /** Identifies the change: the line number of its intent. Later entries refer to it. */
  change: number;
  host: string;
  taskId: string;
  task: string;
  phase: 'intent' | 'done' | 'failed' | 'undone' | 'undo_failed';
  undo?: StoredUndo;
  /** On an intent: the ids of tasks (ids under them too) whose changes must be undone before this one (rollback_after). */
  undoAfter?: string[];
  message?: string;
  time: string;
}

function writeDurably(file: string, text: string): void {
  const tmp = `${file}.tmp`;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
}

/**
 * A run's folder: run.json (rewritten atomically) and journal.ndjson (append-only, fsynced after
 * every line, so a crash of kplay loses nothing it had already said it would change).
 */
export class RunStore {
  readonly dir: string;

  constructor(
    root: string,
    readonly runId: string,
  ) {
    this.dir = path.join(root, 'runs', runId);
  }

  static create(root: string, record: RunRecord): RunStore {
    const store = new RunStore(root, record.runId);
    mkdirSync(store.dir, { recursive: true, mode: 0o700 });
    store.writeRecord(record);
    writeFileSync(path.join(store.dir, 'journal.ndjson'), '', { mode: 0o600 });
    return store;
  }

  exists(): boolean {
    return existsSync(path.join(this.dir, 'run.json'));
  }

  record(): RunRecord {
    return JSON.parse(readFileSync(path.join(this.dir, 'run.json'), 'utf8')) as RunRecord;
  }

  writeRecord(r: RunRecord): void {
    writeDurably(path.join(this.dir, 'run.json'), `${JSON.stringify(r, null, 2)}\n`);
  }

  setState(state: RecordedState): void {
    const r = this.record();
    this.writeRecord({ ...r, state, ended: state === 'running' ? undefined : new Date().toISOString() });
  }

  append(entry: JournalEntry): void {
    const fd = openSync(path.join(this.dir, 'journal.ndjson'), 'a', 0o600);
    try {
      writeSync(fd, `${JSON.stringify(entry)}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }

  entries(): JournalEntry[] {
    const file = path.join(this.dir, 'journal.ndjson');
    if (!existsSync(file)) return [];
    return parseJournal(readFileSync(file, 'utf8'));
  }

  /** The next change number: one more than any seen. */
  nextChange(): number {
    return this.entries().reduce((n, e) => Math.max(n, e.change), 0) + 1;
  }
}

/** Journal lines to entries; a line cut short by a crash mid-write is skipped. */
export function parseJournal(text: string): JournalEntry[] {
  return text
    .split('\n')
    .filter(Boolean)
    .flatMap((line) => {
      try {
        return [JSON.parse(line) as JournalEntry];
      } catch {
        return [];
      }
    });
}

/** Every run under the state folder, newest first. */
export function listRuns(root: string): RunStore[] {
  const runs = path.join(root, 'runs');
  if (!existsSync(runs)) return [];
  return readdirSync(runs)
    .sort()
    .reverse()
    .map((id) => new RunStore(root, id))
    .filter((s) => s.exists());
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The state to show: a run recorded as running whose process is gone crashed. */
export function effectiveState(r: RunRecord): RunState {
  return r.state === 'running' && !alive(r.pid) ? 'crashed' : r.state;
}

/** Changes of a run not undone yet, per host, newest first: what a rollback has to do. */
export function pendingUndos(entries: JournalEntry[]): Map<string, PendingUndo[]> {
  const byChange = new Map<number, PendingUndo & { undone: boolean }>();
  for (const e of entries) {
    if (e.phase === 'intent') byChange.set(e.change, { intent: e, undo: e.undo, undone: false });
    const c = byChange.get(e.change);
    if (!c) continue;
    if (e.phase === 'done' || e.phase === 'failed') {
      c.outcome = e.phase;
      if (e.undo) c.undo = e.undo;
    }
    if (e.phase === 'undone') c.undone = true;
  }
  const out = new Map<string, PendingUndo[]>();
  for (const c of [...byChange.values()].sort((a, b) => b.intent.change - a.intent.change)) {
    // A task that failed with a rollback of the user's own did not make its change; its undo could
    // do harm. Kinds that undo themselves check the real state, so theirs run in any case.
    if (c.undone || (c.outcome === 'failed' && c.undo?.userWritten)) continue;
    const list = out.get(c.intent.host) ?? [];
    list.push({ intent: c.intent, undo: c.undo, outcome: c.outcome });
    out.set(c.intent.host, list);
  }
  return out;
}
