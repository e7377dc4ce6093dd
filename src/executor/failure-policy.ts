// What a failed host means for the rest of the run: the playbook's failure policy. Ansible's names
// where the meaning is the same (any_errors_fatal, max_fail_percentage); kplay's own stricter
// default for serial runs (a batch with a failed host is the last); and rollback_on_failure: all,
// which Ansible has no equivalent of. Decisions only: the run carries them out.
import type { Playbook } from '../config/model.js';

/** The playbook keys this policy reads. */
export type PolicyKeys = Pick<Playbook, 'anyErrorsFatal' | 'maxFailPercentage' | 'rollbackOnFailure'>;

export class FailurePolicy {
  /** Hosts that failed or became unreachable. */
  private readonly failed = new Set<string>();
  private haltReason: string | undefined;

  constructor(private readonly keys: PolicyKeys) {}

  /** rollback_on_failure: all: a failure anywhere undoes every host's changes. */
  get rollbackAll(): boolean {
    return this.keys.rollbackOnFailure === 'all';
  }

  /** Once set, every host stops at the end of its current task, and no later batch starts. */
  get halted(): string | undefined {
    return this.haltReason;
  }

  /** Whether the run must put every host back: a host failed under rollback_on_failure: all. */
  get rollingBackAll(): boolean {
    return this.rollbackAll && this.failed.size > 0;
  }

  /**
   * Records a failed host of `batch`; returns the reason for stopping every host when this failure
   * is the one that decides it (undefined when the run goes on, or had already been stopped).
   */
  hostFailed(host: string, batch: readonly string[]): string | undefined {
    this.failed.add(host);
    if (this.haltReason) return undefined;
    const { anyErrorsFatal, maxFailPercentage } = this.keys;
    if (this.rollbackAll) this.haltReason = `${host} failed and rollback_on_failure is all: rolling back every host`;
    else if (anyErrorsFatal) this.haltReason = `${host} failed and any_errors_fatal is true`;
    else if (maxFailPercentage !== undefined && this.overLimit(batch)) this.haltReason = this.limitReason(batch);
    return this.haltReason;
  }

  /** After a batch's hosts are done: why later batches must not start, or undefined. */
  afterBatch(batch: readonly string[]): string | undefined {
    if (this.haltReason) return this.haltReason;
    const failed = batch.filter((h) => this.failed.has(h));
    if (!failed.length || this.keys.maxFailPercentage !== undefined) return undefined;
    return `${failed.join(', ')} failed in this batch, so later batches do not start (max_fail_percentage lets them)`;
  }

  /** Ansible's test: more than N% of the batch's hosts failed (50 with 2 of 4 failed goes on). */
  private overLimit(batch: readonly string[]): boolean {
    return (this.failedIn(batch) * 100) / batch.length > this.keys.maxFailPercentage!;
  }

  private limitReason(batch: readonly string[]): string {
    const n = this.failedIn(batch);
    const pct = Math.round((n * 1000) / batch.length) / 10;
    return `${n} of the batch's ${batch.length} hosts failed (${pct}%), more than max_fail_percentage ${this.keys.maxFailPercentage}%`;
  }

  private failedIn(batch: readonly string[]): number {
    return batch.filter((h) => this.failed.has(h)).length;
  }
}
