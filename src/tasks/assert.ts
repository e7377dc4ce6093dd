import type { Assert } from '../config/playbook.generated.js';
import type { KindDef } from './kind.js';
import { TaskFailed } from './kind.js';

/** A condition an assert checks, with its answer for the host (null while only run time can tell). */
export interface ConditionCheck {
  expr: string | boolean;
  holds: boolean | null;
}

/** An assert's arguments: its conditions, each with its answer once the plan has evaluated it. */
export interface AssertArgs {
  that: ConditionCheck[];
  fail_msg?: string;
  success_msg?: string;
  quiet: boolean;
}

function shown(c: ConditionCheck): string {
  return typeof c.expr === 'string' ? c.expr : String(c.expr);
}

/** Checks conditions on the controller; fails (E_ASSERT) at the first that is false. Changes nothing. */
export const assert: KindDef<'assert', AssertArgs> = {
  kind: 'assert',
  changes: false,
  shellFields: [],
  conditionFields: ['that.expr'],
  normalize: (w: Assert) => ({
    // A literal true or false needs no evaluating: its answer is itself.
    that: (Array.isArray(w.that) ? w.that : [w.that]).map((expr) => ({ expr, holds: typeof expr === 'boolean' ? expr : null })),
    fail_msg: w.fail_msg,
    success_msg: w.success_msg,
    quiet: w.quiet ?? false,
  }),
  preview: (a) =>
    a.that.map((c) => {
      const answer = c.holds === null ? '' : c.holds ? ' (holds now)' : ' (false now: the task would fail)';
      return `check ${shown(c)}${answer}`;
    }),
  async execute(_ctx, a) {
    const wrong = a.that.find((c) => c.holds !== true);
    if (wrong) {
      const why = wrong.holds === null ? 'could not be decided' : 'is false';
      throw new TaskFailed(a.fail_msg ?? `assertion failed: ${shown(wrong)} ${why}`, {}, { code: 'E_ASSERT' });
    }
    if (a.quiet) return { status: 'ok' };
    return { status: 'ok', message: a.success_msg ?? `${a.that.length === 1 ? 'the condition holds' : `all ${a.that.length} conditions hold`}` };
  },
};
