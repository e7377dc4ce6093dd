// `kplay rollback`: undo a run's changes, newest first.
import { rollbackRun } from '../executor/rollback-run.js';
import { createReporter } from '../report/index.js';
import type { CommandIO, OutputFormat } from './io.js';

/** What `kplay rollback` takes. */
export interface RollbackCommandOptions {
  /** Default: the latest run with changes in place. */
  runId?: string;
  /** For a run this controller has no record of: the hosts whose own journals say what to undo. */
  inventory?: string;
  output: OutputFormat;
  verbose?: boolean;
  /** Undo files changed since kplay wrote them, and a run a newer run overlaps. */
  force?: boolean;
}

/** Rolls a run back; resolves to the exit code. */
export async function rollbackCommand(opts: RollbackCommandOptions, io: CommandIO): Promise<number> {
  const reporter = (secrets: string[]) => {
    io.mask(secrets);
    return createReporter({ output: opts.output, isTTY: io.isTTY, verbose: Boolean(opts.verbose), secrets });
  };
  const r = await rollbackRun({ runId: opts.runId, reporter, inventory: opts.inventory, force: opts.force });
  if (r.leftBehind.length) {
    io.err(`kplay: the rollback of ${r.runId} is incomplete:\n${r.leftBehind.map((l) => `  - ${l}`).join('\n')}\n  hint: fix what is named above and run kplay rollback ${r.runId} again.\n`);
  }
  return r.exitCode;
}
