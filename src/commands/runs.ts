// `kplay runs`: the runs this controller has recorded, and their state.
import { ExitCode } from '../errors.js';
import { listRunStates } from '../executor/rollback-run.js';
import type { CommandIO, OutputFormat } from './io.js';
import { plural, toJson } from './io.js';

/** What `kplay runs` takes. */
export interface RunsCommandOptions {
  output: OutputFormat;
}

/** How `kplay runs` names each state. */
const RUN_STATE_WORDS: Record<string, string> = {
  running: 'running',
  committed: 'changes in place (committed)',
  detached: 'changes in place (detached)',
  host_lost: 'changes in place (host lost)',
  crashed: 'changes in place (kplay died)',
  rolled_back: 'rolled back',
  rollback_incomplete: 'rollback incomplete',
  refused: 'refused (nothing changed)',
};

/** Lists the runs; resolves to the exit code. */
export async function runsCommand(opts: RunsCommandOptions, io: CommandIO): Promise<number> {
  const runs = listRunStates();
  if (opts.output === 'json') {
    io.out(toJson(runs, io));
    return ExitCode.ok;
  }
  if (!runs.length) io.out('no runs recorded yet\n');
  for (const r of runs) {
    const shown = RUN_STATE_WORDS[r.state] ?? r.state;
    io.out(`${r.runId}  ${shown.padEnd(30)} ${r.playbook}  [${r.hosts.join(', ')}]${r.pending ? `  ${plural(r.pending, 'change')} to undo` : ''}\n`);
  }
  return ExitCode.ok;
}
