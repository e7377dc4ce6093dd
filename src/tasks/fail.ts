import type { KindDef } from './kind.js';
import { TaskFailed } from './kind.js';

/** A fail task's message. */
export interface FailArgs {
  msg: string;
}

const DEFAULT_MSG = 'failed as the playbook asks';

/** Fails the task on purpose (E_FAIL), usually under a `when`. Changes nothing. */
export const fail: KindDef<'fail', FailArgs> = {
  kind: 'fail',
  changes: false,
  shellFields: [],
  normalize: (w) => ({ msg: (typeof w === 'string' ? w : w.msg) ?? DEFAULT_MSG }),
  preview: (a) => [`fail: ${a.msg}`],
  async execute(_ctx, a) {
    throw new TaskFailed(a.msg, {}, { code: 'E_FAIL' });
  },
};
