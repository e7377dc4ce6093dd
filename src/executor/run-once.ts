import type { RegisteredResult } from './registered.js';

/**
 * The results of a batch's run_once tasks: the batch's first host runs each one and the others
 * wait here for its result, which they keep as their own.
 */
export class RunOnceResults {
  private readonly results = new Map<string, { promise: Promise<RegisteredResult>; resolve(r: RegisteredResult): void; reject(e: Error): void }>();

  private entry(taskId: string) {
    let e = this.results.get(taskId);
    if (!e) {
      let resolve!: (r: RegisteredResult) => void;
      let reject!: (e: Error) => void;
      const promise = new Promise<RegisteredResult>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      // A result nobody waits for must not count as an unhandled rejection.
      promise.catch(() => undefined);
      e = { promise, resolve, reject };
      this.results.set(taskId, e);
      // A follower that reaches a task after its leader stopped must not wait for ever.
      if (this.closed !== undefined) reject(new Error(this.closed));
    }
    return e;
  }

  /** The leader's result, or the Error that says why there is none. */
  wait(taskId: string): Promise<RegisteredResult | Error> {
    return this.entry(taskId).promise.catch((e: Error) => e);
  }

  /** The leader ran the task. */
  settle(taskId: string, result: RegisteredResult, failedWith?: string): void {
    if (failedWith) this.entry(taskId).reject(new Error(failedWith));
    else this.entry(taskId).resolve(result);
  }

  /** The leader stopped: every task it has not run yet fails for its followers (a settled one stays). */
  abandon(why: string): void {
    this.closed = why;
    for (const e of this.results.values()) e.reject(new Error(why));
  }

  private closed: string | undefined;
}
