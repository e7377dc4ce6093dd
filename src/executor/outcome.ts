import { ExitCode } from '../errors.js';
import type { RecordedState } from '../journal/run-store.js';
import type { HostStatus } from '../report/events.js';

/** What decides how a run is recorded and which exit code it ends with. */
export interface RunFacts {
  /** A check refused the run before anything changed anywhere. */
  refused: boolean;
  /** A host was refused after earlier batches had run. */
  refusedLater: boolean;
  /** A bug in kplay stopped the run. */
  bug: boolean;
  detached: boolean;
  /** Ctrl-C while tasks were running (not while every host was holding). */
  interrupted: boolean;
  /** The run's changes were undone at its end: a debug session, or an interrupt. */
  rolledBack: boolean;
  /** Undos that failed or could not run. */
  leftBehind: number;
  /** A host dropped away with changes of this run still in place. */
  lostWithChanges: boolean;
  statuses: HostStatus[];
}

/** The state a run is recorded in (what `kplay runs` shows) and its exit code (README, "Exit codes"). */
export function runOutcome(f: RunFacts): { state: RecordedState; exitCode: ExitCode } {
  const state: RecordedState = f.refused
    ? 'refused'
    : f.detached && !f.bug
      ? 'detached'
      : f.leftBehind > 0
        ? 'rollback_incomplete'
        : f.lostWithChanges
          ? 'host_lost'
          : f.rolledBack || f.bug
            ? 'rolled_back'
            : 'committed';
  const exitCode = f.bug
    ? ExitCode.internal
    : f.refused || f.refusedLater
      ? ExitCode.invalidInput
      : f.leftBehind > 0
        ? ExitCode.rollbackIncomplete
        : f.interrupted
          ? ExitCode.interrupted
          : f.statuses.includes('unreachable')
            ? ExitCode.unreachable
            : f.statuses.includes('failed')
              ? ExitCode.taskFailed
              : ExitCode.ok;
  return { state, exitCode };
}
