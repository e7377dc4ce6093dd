import type { Move } from '../config/playbook.generated.js';
import { shellQuote } from '../template/index.js';
import type { KindDef, OwnUndo, UndoAction } from './kind.js';
import { IO, ownUndo, sha256Of, TaskFailed } from './kind.js';

/** The checksum of what was moved ("-" for a folder), kept in the journal so the undo can check it. */
export interface MoveOutcome {
  sha256: string;
}

/** Arguments of move_back, the undo of a move. */
export interface MoveBackArgs {
  /** Where the file was. */
  original: string;
  /** Where kplay moved it. */
  moved: string;
  /** Its SHA-256 before the move ("-" for a folder). */
  sha256: string;
}

/**
 * Moves a file back where it was. It never overwrites: when both places exist it refuses. A file
 * that changed since the move is left where it is unless forced (moving it back loses nothing).
 */
export const moveBack: UndoAction<'move_back', MoveBackArgs> = {
  kind: 'move_back',
  paths: (a) => [a.original, a.moved],
  script(a, opts) {
    const o = shellQuote(a.original);
    const m = shellQuote(a.moved);
    const checked = a.sha256 && a.sha256 !== '-' && !opts.force;
    return [
      `if ${existsTest(a.original)}; then`,
      `  if ${existsTest(a.moved)}; then echo ${shellQuote(`both ${a.original} and ${a.moved} exist; refusing to overwrite either`)} >&2; exit 5; fi`,
      `  echo "already in place"; exit 0`,
      `fi`,
      `${existsTest(a.moved)} || { echo ${shellQuote(`${a.moved} is gone: nothing to move back to ${a.original}`)} >&2; exit 6; }`,
      checked
        ? `[ "$(${sha256Of(m)})" = ${shellQuote(a.sha256)} ] || { echo ${shellQuote(`${a.moved} changed since kplay moved it (checksum differs); left where it is (kplay rollback --force moves it back as it is)`)} >&2; exit 7; }`
        : '',
      `mkdir -p -- "$(dirname -- ${o})" && mv -n -- ${m} ${o} && [ ! -e ${m} ] || exit 8`,
      `echo "moved back"`,
    ].join('\n');
  },
};

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


/** The shell that moves src to dest after moveChecks, with mv (a rename on one filesystem). */
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

export const move: KindDef<'move', Move, OwnUndo<'move_back', MoveBackArgs>> = {
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
    if (r.rc !== 0) throw new TaskFailed(`cannot read ${a.src}: ${r.stderr.toString().trim()}`, {}, IO);
    return ownUndo(moveBack, ctx, `move ${a.dest} back to ${a.src}`, { original: a.src, moved: a.dest, sha256: r.stdout.toString().trim() });
  },
  async execute(ctx, a) {
    const r = await ctx.conn.run(moveScript(a.src, a.dest), { timeoutMs: ctx.timeoutMs, become: ctx.become });
    const refused = moveRefusal(r, a);
    if (refused) throw refused;
    if (r.rc !== 0) throw new TaskFailed(`cannot move ${a.src}: ${r.stderr.toString().trim() || `exit status ${r.rc}`}`, { rc: r.rc, stderr: r.stderr });
    return { status: 'changed', value: { sha256: r.stdout.toString().trim() } satisfies MoveOutcome, message: `moved to ${a.dest}` };
  },
};
