// `kplay run` and `kplay plan`: plan (or read a saved plan), then print it or run it over SSH.
import { ExitCode, KplayError } from '../errors.js';
import type { RunSummary } from '../executor/engine.js';
import { plan, planFromFile } from '../library.js';
import type { PlanRequest, PlanResult } from '../library.js';
import { formatPlannedDiffs, plannedDiffs } from '../plan/plan-diff.js';
import { formatPlan, shownHost, shownPlan } from '../plan/print.js';
import { outputSecrets, runSecretDecls, unreadableSecretWarnings } from '../plan/secret-vars.js';
import { formatDiagnostics } from '../report/diagnostics.js';
import { Redactor } from '../report/redact.js';
import type { CommandIO, OutputFormat } from './io.js';
import { JsonText, writeJson } from './io.js';

/** What `kplay run` (and `kplay plan`, with dryRun) takes. */
export interface RunCommandOptions {
  /** A playbook file or a shipped playbook's name; absent with `plan`. */
  playbook?: string;
  inventory?: string;
  /** A plan saved with `kplay plan -o json`, standing for the playbook and every flag that shapes a plan. */
  plan?: string;
  limit?: string;
  extraVars?: string[];
  tags?: string[];
  skipTags?: string[];
  output: OutputFormat;
  /** Print the plan and stop: nothing is connected. */
  dryRun?: boolean;
  /** Connect and say what would change, changing nothing (nothing is journaled either). */
  check?: boolean;
  /** Show the diff of every file a copy or template changes (or would change; with dryRun, the rendered file). */
  diff?: boolean;
  /** At most this many hosts at once (a whole number, as typed). */
  forks?: string | number;
  verbose?: boolean;
  detach?: boolean;
  force?: boolean;
}

/** Plans, then prints the plan (a dry run) or runs it; resolves to the exit code. */
export async function runCommand(opts: RunCommandOptions, io: CommandIO): Promise<number> {
  if (opts.dryRun && opts.output === 'json' && !opts.diff && opts.plan === undefined) return printPlanJson(opts, io);
  const result = planFor(opts);
  const { source } = result;
  const secrets = outputSecrets(source.playbook, source.inventory, process.env);
  io.mask(secrets);
  // A dry run needs no secret's value; one it could not read is worth knowing before the run.
  const needed = runSecretDecls(source.playbook, source.inventory, result.plan.hosts.map((h) => h.name));
  const warnings = opts.dryRun ? [...result.warnings, ...unreadableSecretWarnings(needed, process.env)] : result.warnings;
  if (warnings.length && opts.output === 'text') io.err(formatDiagnostics(warnings));
  if (opts.dryRun) {
    const diffs = opts.diff ? await plannedDiffs(result) : undefined;
    const shown = diffs ? { ...shownPlan(result.plan), diffs } : shownPlan(result.plan);
    if (opts.output === 'json') writeJson(new Redactor(secrets).data(shown), io);
    else io.out(formatPlan(result.plan) + (diffs ? formatPlannedDiffs(diffs) : ''));
    return ExitCode.ok;
  }
  if (opts.check && opts.detach) {
    throw new KplayError('E_USAGE', '--check changes nothing, so there is nothing to leave in place with --detach', { hint: 'Drop --detach, or --check for a real run.' });
  }
  const forks = forksOf(opts.forks);
  // What only a real run needs is loaded here: the executor brings the SSH client (node-ssh,
  // ssh2 and its crypto) and the reporters bring listr2, some 50 ms of loading that a dry run
  // (`kplay plan`) never uses.
  const [{ executeOverSsh }, { createReporter, noLogTaskIds }, { interruptHandlers }] = await Promise.all([
    import('../executor/run-playbook.js'),
    import('../report/index.js'),
    import('./interrupts.js'),
  ]);
  const reporter = createReporter({ output: opts.output, isTTY: io.isTTY, verbose: Boolean(opts.verbose), secrets, noLog: noLogTaskIds(result.plan) });
  let runId = '';
  const interrupts = interruptHandlers(io, () => runId, Boolean(opts.check));
  try {
    const summary = await executeOverSsh(result, {
      forks,
      reporter,
      force: opts.force,
      detach: opts.detach,
      check: opts.check,
      diff: opts.diff,
      signal: interrupts.signal,
      onRunId: (id) => (runId = id),
    });
    reportSummary(summary, runId, io);
    return summary.exitCode;
  } finally {
    interrupts.off();
  }
}

/**
 * The plan a run or dry run acts on: built from the playbook and flags, or read back from a saved
 * plan, which stands for all of them.
 */
function planFor(opts: RunCommandOptions): PlanResult {
  if (opts.plan !== undefined) {
    const given = [
      opts.playbook !== undefined && `playbook argument (${opts.playbook})`,
      opts.inventory !== undefined && '-i',
      (opts.extraVars ?? []).length > 0 && '-e',
      opts.limit !== undefined && '--limit',
      opts.tags !== undefined && '--tags',
      opts.skipTags !== undefined && '--skip-tags',
    ].filter(Boolean);
    if (given.length) {
      throw new KplayError('E_USAGE', `--plan runs a saved plan with the inputs it was made with; it takes no ${given.join(', ')}`, {
        hint: 'Run the saved plan alone (kplay run --plan FILE), or make a new plan with these: kplay plan PLAYBOOK -i INVENTORY ... -o json > FILE.',
      });
    }
    return planFromFile(opts.plan);
  }
  return plan(planRequest(opts));
}

/** The playbook and flags that shape a plan, as `plan` takes them; a usage error when one is missing. */
function planRequest(opts: RunCommandOptions): PlanRequest {
  if (opts.playbook === undefined) {
    throw new KplayError('E_USAGE', 'missing the playbook to run', { hint: 'kplay run PLAYBOOK -i INVENTORY, or kplay run --plan FILE for a saved plan; kplay list shows the shipped playbooks.' });
  }
  if (opts.inventory === undefined) {
    throw new KplayError('E_USAGE', "required option '-i, --inventory <file>' not specified", { hint: 'kplay run PLAYBOOK -i INVENTORY.' });
  }
  return { playbook: opts.playbook, inventory: opts.inventory, limit: opts.limit, extraVars: opts.extraVars, tags: opts.tags, skipTags: opts.skipTags };
}

/**
 * `kplay plan -o json`: what the dry run prints as JSON, with each host kept as its JSON text from
 * the moment it is planned (shown as the dry run shows it: no_log arguments hidden, secrets masked).
 * The 500 x 30 plan of `npm run bench`: 969 ms against 1083 ms with every step kept as objects.
 */
function printPlanJson(opts: RunCommandOptions, io: CommandIO): number {
  // Made again once the playbook and inventory, and so the secrets, are loaded.
  let redactor = new Redactor([]);
  const result = plan(planRequest(opts), (playbook, inventory) => {
    const secrets = outputSecrets(playbook, inventory, process.env);
    io.mask(secrets);
    redactor = new Redactor(secrets);
    return (host) => new JsonText(JSON.stringify(redactor.data(shownHost(host))));
  });
  // The rest of the plan is masked here; putting the hosts back keeps their key's place.
  writeJson({ ...redactor.data({ ...result.plan, hosts: [] }), hosts: result.plan.hosts }, io);
  return ExitCode.ok;
}

function forksOf(given: string | number | undefined): number {
  const forks = Number(given ?? 20);
  if (!Number.isInteger(forks) || forks < 1) {
    throw new KplayError('E_USAGE', `--forks must be a whole number of at least 1, not "${given}"`, { hint: 'For example --forks 10.' });
  }
  return forks;
}

/** What the recap does not say: why the run refused, what is left behind, how to undo it later. */
function reportSummary(summary: RunSummary, runId: string, io: CommandIO): void {
  for (const r of summary.refusals) io.err(`kplay: refused: ${r}\n`);
  if (summary.leftBehind.length) {
    io.err(`kplay: the rollback is incomplete; left as it is:\n${summary.leftBehind.map((l) => `  - ${l}`).join('\n')}\n`);
    io.err(`  hint: fix what is named above, then run: kplay rollback ${runId}\n`);
  } else if (summary.state === 'detached') {
    io.err(`kplay: detached: the changes stay in place. To undo them: kplay rollback ${runId}\n`);
  }
  for (const l of summary.lost) {
    io.err(
      l.changesInPlace
        ? `kplay: ${l.host} was lost with changes of this run in place. When it is back: kplay rollback ${runId}\n`
        : `kplay: ${l.host} was unreachable; this run changed nothing there\n`,
    );
  }
  const e = summary.internalError;
  if (e) {
    io.err(`kplay: internal error: ${e.message}\n  kplay stopped every host and undid what this run had changed${summary.leftBehind.length ? ', except what is listed above' : ''}.\n  hint: this is a bug in kplay; run again with --debug and report the output.\n`);
    if (io.debug && e.stack) io.err(`${e.stack}\n`);
  }
}
