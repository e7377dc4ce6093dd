/**
 * A task kind driven directly, on this machine (a LocalConnection) in a temporary folder: no root,
 * no sshd. The contexts are the ones the engine builds, with the run's backup folder inside the
 * test's folder; `undo` runs a journaled undo as `kplay rollback` does.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { LocalConnection } from '../../src/connection/local.js';
import type { StoredUndo } from '../../src/journal/run-store.js';
import type { TaskContext, UndoContext } from '../../src/tasks/kind.js';
import { runUndo } from '../../src/undo/run-undo.js';
import type { UndoResult } from '../../src/undo/run-undo.js';

/** One test's folder and the contexts a kind runs with there. */
export class KindBench {
  readonly conn = new LocalConnection();
  readonly dir = mkdtempSync(path.join(tmpdir(), 'kplay-kind-'));
  readonly backups = path.join(this.dir, 'backup');

  at(name: string): string {
    return path.join(this.dir, name);
  }

  /** The task's context; `journaling: false` is a run without a state folder (no backup folder). */
  ctx(opts: { journaling?: boolean } = {}): TaskContext {
    const ctx: TaskContext = {
      conn: this.conn,
      become: false,
      timeoutMs: 30_000,
      baseDir: this.dir,
      renderText: (text) => text,
      progress: () => undefined,
      signal: new AbortController().signal,
    };
    return opts.journaling === false ? ctx : { ...ctx, backupDir: () => this.backupDir() };
  }

  undoCtx(change = 1): UndoContext {
    return { ...this.ctx(), change, taskName: 'test task', local: false, backupDir: () => this.backupDir() };
  }

  undo(spec: StoredUndo, force = false): Promise<UndoResult> {
    return runUndo(spec, this.conn, this.conn, new AbortController().signal, { force });
  }

  async close(): Promise<void> {
    await this.conn.close();
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async backupDir(): Promise<string> {
    mkdirSync(this.backups, { recursive: true });
    return this.backups;
  }
}
