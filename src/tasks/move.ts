import type { Move } from '../config/playbook.generated.js';
import { shellQuote } from '../template/index.js';
import type { KindDef } from './kind.js';
import { TaskFailed } from './kind.js';

/** The checksum of what was moved ("-" for a folder), kept in the journal so the undo can check it. */
export interface MoveOutcome {
  sha256: string;
}

/** Shell test: the path exists, as anything (a dangling symlink too). */
export function existsTest(p: string): string {
  const q = shellQuote(p);
  return `{ [ -e ${q} ] || [ -L ${q} ]; }`;
}

/**
 * The checks before a move, shared by the undo's preparation and the move itself: src must
 * exist, and dest must not (a backup from an earlier run must never be overwritten). Prints the
 * checksum of src ("-" for what is not a plain file). Exit 3: src is missing; exit 4: dest exists.
 */
function moveChecks(src: string, dest: string): string[] {
  const s = shellQuote(src);
  return [`${existsTest(src)} || exit 3`, `if ${existsTest(dest)}; then exit 4; fi`, `if [ -f ${s} ]; then sha256sum -- ${s} | cut -d' ' -f1; else echo -; fi`];
}

/** What the exit status of moveChecks means, as a task failure; undefined when all is well. */
function moveRefusal(r: { rc: number | null; stderr: Buffer }, a: Move): TaskFailed | undefined {
  const outcome = { rc: r.rc, stderr: r.stderr };
  if (r.rc === 3) return new TaskFailed(`${a.src} does not exist`, outcome);
  if (r.rc === 4) return new TaskFailed(`${a.dest} already exists; kplay never overwrites it (it may be a backup from an earlier run)`, outcome);
  return undefined;
}

/**
 * The shell that moves src to dest after moveChecks, and uses mv (a rename on one filesystem).
 * Exit 3: src is missing; exit 4: dest exists.
 */
export function moveScript(src: string, dest: string): string {
  const s = shellQuote(src);
  const d = shellQuote(dest);
  return [
    ...moveChecks(src, dest),
    `mkdir -p -- "$(dirname -- ${d})"`,
    `mv -n -- ${s} ${d}`,
    // mv -n does not fail when dest appeared meanwhile; check that the move really happened.
    `[ ! -e ${s} ] || exit 4`,
  ].join('\n');
}

export const move: KindDef<'move', Move> = {
  kind: 'move',
  changes: true,
  shellFields: [],
  normalize: (w) => ({ ...w }),
  preview: (a) => [`move ${a.src} -> ${a.dest} (refuses to overwrite; undo moves it back)`],
  async preflight(ctx, a) {
    const r = await ctx.conn.run(existsTest(a.dest), { timeoutMs: 30_000, become: ctx.become });
    return r.rc === 0 ? `${a.dest} already exists (a backup left by an earlier run?); kplay never overwrites it` : undefined;
  },
  async prepareUndo(ctx, a) {
    // The checksum is taken before the move and journaled with the intent, so the undo can
    // check what it moves back even if kplay dies right after the move.
    const r = await ctx.conn.run(moveChecks(a.src, a.dest).join('\n'), { timeoutMs: ctx.timeoutMs, become: ctx.become });
    const refused = moveRefusal(r, a);
    if (refused) throw refused;
    if (r.rc !== 0) throw new TaskFailed(`cannot read ${a.src}: ${r.stderr.toString().trim()}`);
    return {
      name: `move ${a.dest} back to ${a.src}`,
      kind: 'move_back',
      args: { original: a.src, moved: a.dest, sha256: r.stdout.toString().trim() },
      become: ctx.become,
      local: ctx.local,
      timeoutMs: ctx.timeoutMs,
      userWritten: false,
    };
  },
  async execute(ctx, a) {
    const r = await ctx.conn.run(moveScript(a.src, a.dest), { timeoutMs: ctx.timeoutMs, become: ctx.become });
    const refused = moveRefusal(r, a);
    if (refused) throw refused;
    if (r.rc !== 0) throw new TaskFailed(`cannot move ${a.src}: ${r.stderr.toString().trim() || `exit status ${r.rc}`}`, { rc: r.rc, stderr: r.stderr });
    return { status: 'changed', value: { sha256: r.stdout.toString().trim() } satisfies MoveOutcome, message: `moved to ${a.dest}` };
  },
};
