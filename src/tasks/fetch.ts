import path from 'node:path';
import type { Fetch } from '../config/playbook.generated.js';
import type { KindDef } from './kind.js';
import { IO, TaskFailed } from './kind.js';

export const fetch: KindDef<'fetch', Fetch> = {
  kind: 'fetch',
  changes: false,
  shellFields: [],
  normalize: (w) => ({ ...w }),
  preview: (a) => [`fetch ${a.src} -> controller:${a.dest}`],
  async execute(ctx, a) {
    // dest is relative to the working folder, like every path a user types on the command line.
    const dest = path.resolve(a.dest);
    try {
      await ctx.conn.fetchFile(a.src, dest, { become: ctx.become });
    } catch (e) {
      throw new TaskFailed(`cannot fetch ${a.src}: ${(e as Error).message}`, {}, IO);
    }
    return { status: 'ok', message: `saved as ${dest}` };
  },
};
