import type { PlaybookSummary } from '../library.js';

/** `kplay list` for people: each playbook, what it does, and its variables with defaults. */
export function formatPlaybookList(list: PlaybookSummary[]): string {
  const out: string[] = [];
  for (const p of list) {
    out.push(`${p.file}  ${p.name}`);
    if (p.description) out.push(...wrap(p.description.trim(), 76).map((l) => `    ${l}`));
    if (p.variables.length) out.push('    variables (override with -e NAME=VALUE):');
    for (const v of p.variables) {
      out.push(`      ${v.name} = ${JSON.stringify(v.default)}`);
      if (v.description) out.push(...wrap(v.description, 70).map((l) => `          ${l}`));
    }
    if (p.problems.some((d) => d.severity === 'error')) out.push(`    (does not load: run kplay validate on it)`);
    out.push('');
  }
  return `${out.join('\n')}`;
}

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  for (const para of text.split('\n')) {
    let line = '';
    for (const word of para.split(/\s+/).filter(Boolean)) {
      if (line && line.length + word.length + 1 > width) {
        lines.push(line);
        line = word;
      } else line = line ? `${line} ${word}` : word;
    }
    if (line) lines.push(line);
  }
  return lines;
}
