import { idWithin } from '../config/rollback-after.js';
import type { PendingUndo } from '../journal/run-store.js';

/**
 * The order a host's pending undos run in: newest first, except that an undo whose intent says
 * `undoAfter` (rollback_after) waits until the undos of the changes of those tasks have run. Of the
 * undos free to run, the newest goes first, so the order moves only what it must. Read from the
 * journal alone, so a live rollback and a later `kplay rollback` agree.
 */
export function undoOrder(pending: PendingUndo[]): PendingUndo[] {
  if (!pending.some((p) => p.intent.undoAfter?.length)) return pending;
  const waitsFor = pending.map((p, i) =>
    pending.flatMap((q, j) => (j !== i && (p.intent.undoAfter ?? []).some((group) => idWithin(q.intent.taskId, group)) ? [j] : [])),
  );
  const done = new Set<number>();
  const out: PendingUndo[] = [];
  while (out.length < pending.length) {
    const ready = pending.findIndex((_, i) => !done.has(i) && waitsFor[i]!.every((j) => done.has(j)));
    // Tasks that wait for each other (a cycle through includes) fall back to newest first.
    const next = ready >= 0 ? ready : pending.findIndex((_, i) => !done.has(i));
    done.add(next);
    out.push(pending[next]!);
  }
  return out;
}
