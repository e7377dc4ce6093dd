import type { PlaybookSummary } from '../library.js';
import { wrapWords } from '../text/wrap.js';

/** `kplay list` for people: each playbook, what it does, and its variables with defaults. */
export function formatPlaybookList(list: PlaybookSummary[]): string {
  const out: string[] = [];
  for (const p of list) {
    out.push(`${p.file}  ${p.name}`);
    if (p.description) out.push(...wrapWords(p.description.trim(), 76).map((l) => `    ${l}`));
    if (p.variables.length) out.push('    variables (override with -e NAME=VALUE):');
    for (const v of p.variables) {
      out.push(`      ${v.name} = ${JSON.stringify(v.default)}`);
      if (v.description) out.push(...wrapWords(v.description, 70).map((l) => `          ${l}`));
    }
    if (p.problems.some((d) => d.severity === 'error')) out.push(`    (does not load: run kplay validate on it)`);
    out.push('');
  }
  return `${out.join('\n')}`;
}
