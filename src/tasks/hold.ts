import { durationMs } from '../config/duration.js';
import type { KindDef } from './kind.js';

/** What a hold shows and how long it lasts at most. */
export interface HoldArgs {
  message?: string;
  timeout?: number | string;
}

export const hold: KindDef<'hold', HoldArgs> = {
  kind: 'hold',
  changes: false,
  shellFields: [],
  normalize: (w) => ({ ...(w ?? {}) }),
  preview: (a) => [`hold until Ctrl-C${a.timeout !== undefined ? ` or ${a.timeout}` : ''}, then roll back${a.message ? `: ${a.message}` : ''}`],
  async execute(ctx, a) {
    // --detach: leave everything as it is now; `kplay rollback RUN_ID` undoes it later.
    if (ctx.detached) return { status: 'ok', message: 'detached: changes left in place' };
    const limit = a.timeout === undefined ? undefined : durationMs(a.timeout, 0);
    ctx.progress(`${a.message ? `${a.message} ` : ''}(holding until Ctrl-C${limit ? ` or ${a.timeout}` : ''})`);
    await new Promise<void>((resolve) => {
      const timer = limit === undefined ? undefined : setTimeout(resolve, limit);
      const done = () => {
        clearTimeout(timer);
        resolve();
      };
      if (ctx.signal.aborted) done();
      ctx.signal.addEventListener('abort', done, { once: true });
    });
    return { status: 'ok', message: ctx.signal.aborted ? 'released by Ctrl-C' : `released after ${a.timeout}` };
  },
};
