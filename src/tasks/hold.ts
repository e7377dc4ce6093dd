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
};
