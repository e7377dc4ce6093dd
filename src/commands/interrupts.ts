import { ExitCode } from '../errors.js';
import { listRunStates } from '../executor/rollback-run.js';
import type { CommandIO } from './io.js';
import { plural } from './io.js';

/**
 * Ctrl-C, SIGTERM and SIGHUP during a run: the first stops every host and undoes what the run
 * changed, the second says how far that got, the third quits at once (the journal keeps what is left).
 */
export function interruptHandlers(io: CommandIO, runId: () => string, check = false): { signal: AbortSignal; off(): void } {
  const controller = new AbortController();
  let count = 0;
  const handler = (sig: NodeJS.Signals) => {
    count++;
    if (count === 1 && check) {
      // A check run changed nothing: there is nothing to undo, and no journal to send the user to.
      io.err(`\nkplay: ${sig}: stopping every host (--check: nothing was changed)\n`);
      controller.abort();
    } else if (count === 1) {
      io.err(`\nkplay: ${sig}: stopping and undoing this run's changes on every host (again: progress; a third time: quit at once)\n`);
      controller.abort();
    } else if (count === 2) {
      const r = listRunStates().find((x) => x.runId === runId());
      io.err(`kplay: rolling back ${runId()}: ${r ? `${plural(r.pending, 'change')} still to undo` : 'starting'}\n`);
    } else {
      io.err(`kplay: quitting now; the journal keeps what is left: kplay rollback ${runId()}\n`);
      process.exit(ExitCode.interrupted);
    }
  };
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const s of signals) process.on(s, handler);
  return {
    signal: controller.signal,
    off() {
      for (const s of signals) process.off(s, handler);
    },
  };
}
