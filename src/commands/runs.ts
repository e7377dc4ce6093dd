// `kplay runs`: the runs this controller has recorded, and their state; --prune removes finished ones.
import { ExitCode } from '../errors.js';
import { pruneRuns } from '../executor/prune-runs.js';
import { listRunStates } from '../executor/rollback-run.js';
import type { RunState } from '../journal/run-store.js';
import type { CommandIO, OutputFormat } from './io.js';
import { plural, toJson } from './io.js';

/** What `kplay runs` takes. */
export interface RunsCommandOptions {
  output: OutputFormat;
  /** Remove finished runs' records here and on their hosts, instead of listing. */
  prune?: boolean;
}

/** How `kplay runs` names each state: with changes left to undo, and with none left. */
const RUN_STATE_WORDS: Record<RunState, readonly [pending: string, none: string]> = {
  running: ['running', 'running'],
  committed: ['changes in place (committed)', 'done (nothing to undo)'],
  detached: ['changes in place (detached)', 'detached (nothing to undo)'],
  host_lost: ['changes in place (host lost)', 'host lost (nothing to undo)'],
  crashed: ['changes in place (kplay died)', 'kplay died (nothing to undo)'],
  rolled_back: ['rolled back', 'rolled back'],
  rollback_incomplete: ['rollback incomplete', 'rollback incomplete'],
  refused: ['refused (nothing changed)', 'refused (nothing changed)'],
};

/** Lists the runs (or prunes the finished ones); resolves to the exit code. */
export async function runsCommand(opts: RunsCommandOptions, io: CommandIO): Promise<number> {
  if (opts.prune) return prune(opts, io);
  const runs = listRunStates();
  if (opts.output === 'json') {
    io.out(toJson(runs, io));
    return ExitCode.ok;
  }
  if (!runs.length) io.out('no runs recorded yet\n');
  for (const r of runs) {
    const shown = RUN_STATE_WORDS[r.state][r.pending ? 0 : 1];
    io.out(`${r.runId}  ${shown.padEnd(30)} ${r.playbook}  [${r.hosts.join(', ')}]${r.pending ? `  ${plural(r.pending, 'change')} to undo` : ''}\n`);
  }
  return ExitCode.ok;
}

/** `kplay runs --prune`: what was removed, and what stays because a host could not be reached. */
async function prune(opts: RunsCommandOptions, io: CommandIO): Promise<number> {
  const r = await pruneRuns();
  if (opts.output === 'json') io.out(toJson({ pruned: r.pruned, problems: r.problems }, io));
  else {
    io.out(r.pruned.length ? r.pruned.map((id) => `pruned ${id}\n`).join('') : 'no finished run to prune\n');
    for (const p of r.problems) io.err(`kplay: ${p}\n`);
  }
  return r.exitCode;
}
