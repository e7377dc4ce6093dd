import { parse as parseYaml } from 'yaml';
import type { Read } from '../config/playbook.generated.js';
import { shellQuote } from '../template/index.js';
import type { KindDef } from './kind.js';
import { IO, TaskFailed } from './kind.js';

/** Parses a file's text into the value `read` registers. */
export function parseContent(text: string, format: Read['format']): unknown {
  switch (format) {
    case 'json':
      return JSON.parse(text);
    case 'yaml':
      return parseYaml(text, { maxAliasCount: 100 });
    case 'lines':
      return text.split('\n').filter((l, i, all) => l !== '' || i < all.length - 1);
    case 'cmdline':
      // /proc/PID/cmdline: NUL-separated, with a NUL after the last argument.
      return text.split('\0').filter((a, i, all) => a !== '' || i < all.length - 1);
    case 'env': {
      const out: Record<string, string> = {};
      for (const line of text.split('\n')) {
        const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
        if (!m) continue;
        let v = m[2]!.trim();
        if ((v.startsWith('"') && v.endsWith('"')) || (v.startsWith("'") && v.endsWith("'"))) v = v.slice(1, -1);
        out[m[1]!] = v;
      }
      return out;
    }
  }
}

export const read: KindDef<'read', Read> = {
  kind: 'read',
  changes: false,
  shellFields: [],
  normalize: (w) => ({ ...w }),
  preview: (a) => [`read ${a.path} as ${a.format}`],
  async execute(ctx, a) {
    const data = await ctx.conn.readFile(a.path, { become: ctx.become });
    if (data === undefined) throw new TaskFailed(`${a.path} does not exist`, {}, IO);
    const text = data.toString('utf8');
    try {
      const value = parseContent(text, a.format);
      // NUL-separated arguments would show run together: the output is the command line as typed.
      const stdout = a.format === 'cmdline' ? (value as string[]).map((arg) => shellQuote(arg)).join(' ') : text;
      return { status: 'ok', stdout, value };
    } catch (e) {
      throw new TaskFailed(`${a.path} is not valid ${a.format}: ${(e as Error).message}`, { stdout: text });
    }
  },
};
