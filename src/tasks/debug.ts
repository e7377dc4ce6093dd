import type { Debug } from '../config/playbook.generated.js';
import type { KindDef } from './kind.js';

/** What a debug task shows: `msg` is a template; for `var`, it is the variable's value as JSON. */
export interface DebugArgs {
  msg: string;
  /** The variable (or path) a `var:` names; absent for `msg:`. */
  var?: string;
}

/**
 * Shows a message on the host's line; changes nothing. The message travels as the task's message,
 * so every reporter masks secrets in it as in any other output.
 */
export const debug: KindDef<'debug', DebugArgs> = {
  kind: 'debug',
  changes: false,
  shellFields: [],
  // The schema allows var only as a name or dotted path, so it can go into a template as it is.
  normalize: (w: Debug) => (w.var !== undefined ? { var: w.var, msg: `${w.var} = {{json ${w.var}}}` } : { msg: w.msg ?? '' }),
  preview: (a) => [`print ${a.msg}`],
  async execute(_ctx, a) {
    return { status: 'ok', message: a.msg, stdout: a.msg };
  },
};
