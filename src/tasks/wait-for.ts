import type { WaitFor } from '../config/playbook.generated.js';
import type { KindDef } from './kind.js';

/** Defaults a person would guess: a port is waited open, a path or process present. */
export function waitState(a: WaitFor): NonNullable<WaitFor['state']> {
  return a.state ?? (a.port !== undefined ? 'open' : 'present');
}

export const waitFor: KindDef<'wait_for', WaitFor> = {
  kind: 'wait_for',
  changes: false,
  shellFields: [],
  normalize: (w) => ({ ...w }),
  preview(a) {
    const what =
      a.port !== undefined
        ? `port ${a.port} on ${a.host ?? '127.0.0.1'}`
        : a.path !== undefined
          ? `path ${a.path}`
          : `process matching ${JSON.stringify(a.process)}`;
    return [`wait until ${what} is ${waitState(a)} (timeout ${a.timeout ?? '5m'}, every ${a.interval ?? '1s'})`];
  },
};
