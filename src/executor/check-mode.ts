// `kplay run --check` and `--diff` as the engine sees them: which tasks run, which only say what they
// would do, which are skipped; and the diffs of the files a task changes or would change. The task's
// life (TaskRun) asks this object at three points and otherwise runs as in any run.
import type { TaskSpec } from '../config/model.js';
import type { ResolvedSecret } from '../config/secrets.js';
import type { PlanStep } from '../plan/plan.js';
import { showDiffs } from '../report/diff-format.js';
import type { ShownDiff } from '../report/diff-format.js';
import type { CheckRole } from '../report/events.js';
import { Redactor } from '../report/redact.js';
import type { KindName, TaskContext, TaskOutcome } from '../tasks/kind.js';
import { taskKinds } from '../tasks/registry.js';

/**
 * Kinds that change nothing on the host yet are not run under --check: a hold would wait for Ctrl-C,
 * a tunnel opens a port on the controller, a fetch writes a file there.
 */
const NOT_RUN_IN_CHECK: ReadonlySet<KindName> = new Set<KindName>(['hold', 'tunnel', 'fetch']);

/** Why a task was skipped under --check, as the task_end message says it. */
export const WOULD_RUN = 'would run (check mode: not run, since it could change the host; add check_mode: false to a task that only reads)';

/** A task's attempt with the diffs of what it changed (or would change), when --diff asks for them. */
export interface CheckedOutcome {
  outcome: TaskOutcome;
  diffs?: ShownDiff[];
}

/** The run's --check and --diff, and the secrets every diff is masked with. */
export class CheckMode {
  private readonly redactor: Redactor;

  constructor(
    /** --check: nothing that changes a host runs. */
    readonly check: boolean,
    /** --diff: file-writing tasks show what they change. */
    readonly diff: boolean,
    secrets: readonly ResolvedSecret[] = [],
  ) {
    this.redactor = new Redactor(secrets.map((s) => s.value));
  }

  /**
   * How a task takes part: `ran` runs it as in any run, `predicted` asks its kind what it would do,
   * `would_run` skips it. Undefined outside check mode (a run without --check, a task that is not
   * `check_mode: true`). The task's own `check_mode` wins over --check, as in Ansible.
   */
  role(step: PlanStep, task: TaskSpec): CheckRole | undefined {
    const checking = task.checkMode ?? this.check;
    if (!checking) return this.check ? 'ran' : undefined;
    if (!step.changes && !NOT_RUN_IN_CHECK.has(step.kind)) return 'ran';
    return taskKinds[step.kind].check ? 'predicted' : 'would_run';
  }

  /** One attempt of a task that runs or is predicted; with --diff, the diffs of the files it writes. */
  async attempt(ctx: TaskContext, step: PlanStep, role: CheckRole | undefined): Promise<CheckedOutcome> {
    const kind = taskKinds[step.kind];
    if (role === 'predicted') {
      const c = await kind.check!(ctx, step.args as never);
      return { outcome: { status: c.status, message: c.message }, diffs: this.diff && c.diffs ? await this.shown(c.diffs) : undefined };
    }
    // A real run shows what a write changed: the kind looks first, then writes.
    const before = this.diff && step.changes && kind.check ? await kind.check(ctx, step.args as never) : undefined;
    const outcome = await kind.execute!(ctx, step.args as never);
    const diffs = before?.diffs && outcome.status === 'changed' ? await this.shown(before.diffs) : undefined;
    return { outcome, diffs };
  }

  private async shown(diffs: Parameters<typeof showDiffs>[0]): Promise<ShownDiff[] | undefined> {
    const shown = await showDiffs(diffs, (t) => this.redactor.text(t));
    return shown.length ? shown : undefined;
  }
}
