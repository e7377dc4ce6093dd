import { readFileSync } from 'node:fs';
import type { Diagnostic } from '../errors.js';
import { formatPos } from '../errors.js';

/** Options for printing problems. */
export interface DiagnosticFormat {
  /** Show the source line with a caret under the column. */
  codeFrame?: boolean;
}

/** `file:line:col: error: message`, a hint line and (optionally) the source line, for each problem. */
export function formatDiagnostics(problems: Diagnostic[], fmt: DiagnosticFormat = {}): string {
  const texts = new Map<string, string[] | undefined>();
  const lines: string[] = [];
  for (const d of sortByPlace(problems)) {
    const where = d.pos ? `${formatPos(d.pos)}: ` : 'kplay: ';
    lines.push(`${where}${d.severity}: ${d.message} [${d.code}]`);
    if (fmt.codeFrame && d.pos) lines.push(...codeFrame(texts, d.pos.file, d.pos.line, d.pos.col));
    if (d.hint) lines.push(`  hint: ${d.hint.charAt(0).toUpperCase()}${d.hint.slice(1)}`);
  }
  const errors = problems.filter((p) => p.severity === 'error').length;
  const warnings = problems.length - errors;
  if (errors || warnings) {
    lines.push(
      `${errors} error${errors === 1 ? '' : 's'}${warnings ? `, ${warnings} warning${warnings === 1 ? '' : 's'}` : ''}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

function codeFrame(cache: Map<string, string[] | undefined>, file: string, line: number, col: number): string[] {
  if (!cache.has(file)) {
    try {
      cache.set(file, readFileSync(file, 'utf8').split('\n'));
    } catch {
      cache.set(file, undefined);
    }
  }
  const text = cache.get(file)?.[line - 1];
  if (text === undefined) return [];
  const gutter = String(line);
  return [`  ${gutter} | ${text}`, `  ${' '.repeat(gutter.length)} | ${' '.repeat(Math.max(0, col - 1))}^`];
}

/** Problems without a place first, then file by file (in order of first mention), each by line and column. */
export function sortByPlace(problems: Diagnostic[]): Diagnostic[] {
  const fileOrder = new Map<string, number>();
  for (const d of problems) if (d.pos && !fileOrder.has(d.pos.file)) fileOrder.set(d.pos.file, fileOrder.size);
  const rank = (d: Diagnostic): number[] => (d.pos ? [1, fileOrder.get(d.pos.file)!, d.pos.line, d.pos.col] : [0, 0, 0, 0]);
  return problems
    .map((d, i) => ({ d, i, r: rank(d) }))
    .sort((a, b) => cmp(a.r, b.r) || a.i - b.i)
    .map((x) => x.d);
}

function cmp(a: number[], b: number[]): number {
  for (let k = 0; k < a.length; k++) if (a[k] !== b[k]) return a[k]! - b[k]!;
  return 0;
}
