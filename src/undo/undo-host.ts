import { setTimeout as sleep } from 'node:timers/promises';
import type { Connection } from '../connection/types.js';
import type { JournalEntry } from '../journal/run-store.js';
import { pendingUndos } from '../journal/run-store.js';
import type { UntimedEvent } from '../report/events.js';
import type { UndoResult } from './run-undo.js';
import { runUndo } from './run-undo.js';
import { undoOrder } from './undo-order.js';

/** What undoing a host needs: its connection, its journal, and where to record and report. */
export interface UndoHostArgs {
  host: string;
  conn: Connection;
  local: Connection;
  entries: JournalEntry[];
  record(entry: Omit<JournalEntry, 'host' | 'time'>): Promise<void>;
  emit(event: UntimedEvent): void;
  /** `kplay rollback --force`: undo files that changed since kplay wrote them (the run's own rollback never forces). */
  force?: boolean;
}

/**
 * Undoes a host's journaled changes that are not undone yet, newest first, recording each result;
 * stops at the first undo that fails, since older changes may depend on it. Returns what is left.
 */
export async function undoHost(a: UndoHostArgs): Promise<string[]> {
  const pending = undoOrder(pendingUndos(a.entries).get(a.host) ?? []);
  for (const p of pending) {
    if (!p.undo) return [`${a.host}: "${p.intent.task}" has no recorded undo (its rollback needed a result that never came); check it by hand`];
    const undo = p.undo;
    const id = `${p.intent.taskId}.undo`;
    a.emit({ type: 'task_start', host: a.host, taskId: id, name: undo.name, kind: undo.kind, preview: [undo.name] });
    const t0 = performance.now();
    let res: UndoResult = { ok: false, message: '' };
    // A written rollback may wait for something (a component to be healthy again) with retries.
    const tries = 1 + (undo.retries ?? 0);
    let attempts = 0;
    while (attempts < tries) {
      attempts++;
      try {
        res = await runUndo(undo, a.conn, a.local, new AbortController().signal, { force: a.force ?? false });
      } catch (e) {
        res = { ok: false, message: (e as Error).message };
      }
      if (res.ok || attempts === tries) break;
      await sleep(undo.delayMs ?? 1000);
    }
    // A no_log task's undo prints what its command printed: neither is shown nor kept.
    if (p.undo.noLog) res = { ok: res.ok, message: res.ok ? 'done (output hidden: no_log)' : 'failed (output hidden: no_log)' };
    // The local journal is written first and fsynced; a host that dropped meanwhile is caught up by the next rollback.
    await a.record({ change: p.intent.change, taskId: p.intent.taskId, task: p.intent.task, phase: res.ok || undo.ignoreErrors ? 'undone' : 'undo_failed', message: res.message }).catch(() => undefined);
    a.emit({
      type: 'task_end',
      host: a.host,
      taskId: id,
      name: undo.name,
      kind: undo.kind,
      status: res.ok ? 'changed' : 'failed',
      ...(res.ok ? {} : { code: 'E_UNDO' as const }),
      message: res.ok || !undo.ignoreErrors ? res.message : `${res.message} (ignored)`,
      attempts,
      durationMs: Math.round(performance.now() - t0),
    });
    if (!res.ok && !undo.ignoreErrors) return [`${a.host}: ${undo.name}: ${res.message}`];
  }
  return [];
}
