import { readFileSync } from 'node:fs';
import type { Diagnostic } from '../errors.js';

/** Options for printing problems. */
export interface DiagnosticFormat {
  /** Show the source line with a caret under the column. */
  codeFrame?: boolean;
}

/** `file:line:col: error: message`, a hint line and (optionally) the source line, for each problem. */
export function formatDiagnostics(problems: Diagnostic[], fmt: DiagnosticFormat = {}): string {
  const texts = new Map<string, string[] | undefined>();
  const lines: string[] = [];
  for (const d of problems) {
    const where = d.pos ? `${d.pos.file}:${d.pos.line}:${d.pos.col}: ` : 'kplay: ';
    lines.push(`${where}${d.severity}: ${d.message} [${d.code}]`);
    if (fmt.codeFrame && d.pos) lines.push(...codeFrame(texts, d.pos.file, d.pos.line, d.pos.col));
    if (d.hint) lines.push(`  hint: ${d.hint}`);
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
