// --diff: what a file-writing task changes (or, under --check, would change), as a unified diff. The
// diff is made once, where the run happens, and travels in the task_end event as text, so every
// reporter (and a program reading -o json) shows the same thing. The `diff` library is loaded only
// when a diff is made: a run without --diff does not pay for it at start-up.
import type { FileDiff } from '../tasks/kind.js';
import type { ShownDiff } from './events.js';
import type { Paint } from './style.js';

export type { ShownDiff } from './events.js';

/** Lines of context around each change, as `diff -u` and git show them. */
const CONTEXT = 3;

/** Text that a terminal cannot show as lines: NUL bytes, or bytes that were not UTF-8. */
export function looksBinary(text: string): boolean {
  return text.includes('\0') || text.includes('\uFFFD');
}

/**
 * The diffs to show for what a kind's check found. A FileDiff with a note is shown as that note (its
 * before and after are not read); otherwise as a unified diff of before and after, with every secret
 * masked in the whole text first, so that a secret spread over several lines is masked too.
 */
export async function showDiffs(diffs: readonly FileDiff[], mask: (text: string) => string): Promise<ShownDiff[]> {
  const shown: ShownDiff[] = [];
  for (const d of diffs) {
    if (d.note !== undefined) shown.push({ path: d.path, note: mask(d.note) });
    else if (d.before === d.after) continue;
    else if (looksBinary(d.before ?? '') || looksBinary(d.after ?? '')) shown.push({ path: d.path, note: 'binary content differs (no diff shown)' });
    else shown.push({ path: d.path, diff: await unifiedDiff(d.path, d.before === null ? null : mask(d.before), d.after === null ? null : mask(d.after)) });
  }
  return shown;
}

/** A unified diff; null stands for a file that does not exist (before it is created, after it is removed). */
export async function unifiedDiff(path: string, before: string | null, after: string | null): Promise<string> {
  const { structuredPatch } = await import('diff');
  const patch = structuredPatch(path, path, before ?? '', after ?? '', undefined, undefined, { context: CONTEXT });
  const lines = [before === null ? '--- /dev/null' : `--- before: ${path}`, after === null ? '+++ /dev/null' : `+++ after: ${path}`];
  for (const h of patch.hunks) {
    lines.push(`@@ -${range(h.oldStart, h.oldLines)} +${range(h.newStart, h.newLines)} @@`, ...h.lines);
  }
  return lines.join('\n');
}

/** A hunk's range as diff -u writes it: "3,4", "3" for one line, "2,0" after line 2 for none. */
function range(start: number, count: number): string {
  // jsdiff counts an empty side from 0 where diff -u names the line before it.
  return count === 1 ? String(start) : `${count === 0 && start > 0 ? start - 1 : start},${count}`;
}

/** The lines a text reporter prints for a task's diffs: each file's diff, or its path and note. */
export function diffLines(diffs: readonly ShownDiff[] | undefined): string[] {
  return (diffs ?? []).flatMap((d) => (d.diff !== undefined ? d.diff.split('\n') : [`${d.path}: ${d.note ?? 'changed'}`]));
}

/** A diff line colored as git colors it: added green, removed red, hunk headers cyan. */
export function colorDiffLine(p: Paint, line: string): string {
  if (line.startsWith('+++') || line.startsWith('---')) return p.bold(line);
  if (line.startsWith('+')) return p.green(line);
  if (line.startsWith('-')) return p.red(line);
  if (line.startsWith('@@')) return p.cyan(line);
  return line;
}
