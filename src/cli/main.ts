// The kplay command line: flags to typed options, a call into the library, errors to exit codes.
// Heavy modules (ajv, yaml, handlebars) are imported inside the actions so `kplay --version` stays fast.
import { readFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { ExitCode, KplayError, uniqueDiagnostics } from '../errors.js';
import type { Diagnostic } from '../errors.js';
import type { RunState } from '../journal/run-store.js';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

/** Where output goes; tests pass their own. */
export interface CliIO {
  out: (s: string) => void;
  err: (s: string) => void;
  isTTY: boolean;
}

const defaultIO: CliIO = {
  out: (s) => process.stdout.write(s),
  err: (s) => process.stderr.write(s),
  isTTY: Boolean(process.stdout.isTTY),
};

type OutputFormat = 'text' | 'json';

interface RunFlags {
  inventory: string;
  dryRun?: boolean;
  forks: string;
  verbose?: boolean;
  detach?: boolean;
  force?: boolean;
  limit?: string;
  extraVars: string[];
  tags?: string;
  skipTags?: string;
  output: OutputFormat;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function splitList(s: string | undefined): string[] | undefined {
  return s === undefined ? undefined : s.split(',').map((t) => t.trim()).filter(Boolean);
}

/** JSON for people on a terminal (indented), compact for programs: a 500-host plan is half the size. */
function toJson(value: unknown, io: CliIO): string {
  return `${JSON.stringify(value, null, io.isTTY ? 2 : undefined)}\n`;
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

/**
 * Ctrl-C, SIGTERM and SIGHUP: the first stops every host and undoes what the run changed, the
 * second says how far that got, the third quits at once (the journal keeps what is left).
 */
function interruptHandlers(io: CliIO, runId: () => string): { onSignals(): AbortController; offSignals(): void } {
  const controller = new AbortController();
  let count = 0;
  const handler = (sig: NodeJS.Signals) => {
    count++;
    if (count === 1) {
      io.err(`\nkplay: ${sig}: stopping and undoing this run's changes on every host (again: progress; a third time: quit at once)\n`);
      controller.abort();
    } else if (count === 2) {
      void import('../executor/rollback-run.js').then(({ listRunStates }) => {
        const r = listRunStates().find((x) => x.runId === runId());
        io.err(`kplay: rolling back ${runId()}: ${r ? `${r.pending} change${r.pending === 1 ? '' : 's'} still to undo` : 'starting'}\n`);
      });
    } else {
      io.err(`kplay: quitting now; the journal keeps what is left: kplay rollback ${runId()}\n`);
      process.exit(ExitCode.interrupted);
    }
  };
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  return {
    onSignals() {
      for (const s of signals) process.on(s, handler);
      return controller;
    },
    offSignals() {
      for (const s of signals) process.off(s, handler);
    },
  };
}

/**
 * Whether a command only reads (so may stop at any point): everything but a real run, a rollback
 * and a prune, which would leave hosts half changed if they stopped midway.
 */
function onlyReads(command: Command): boolean {
  const flags = command.opts<{ dryRun?: boolean; prune?: boolean }>();
  if (command.name() === 'run') return Boolean(flags.dryRun);
  if (command.name() === 'runs') return !flags.prune;
  return command.name() !== 'rollback';
}

/**
 * A reader that goes away (`kplay runs | head -1`) closes our output, and the next write fails
 * with EPIPE, which unheard would end kplay with a stack trace. A command that only reads ends
 * quietly, exit 0; one that changes hosts goes on to its end without output (stopping midway
 * would leave them half changed) and keeps its exit code.
 */
function endQuietlyOnClosedOutput(readOnly: () => boolean): void {
  const onError = (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE' && readOnly()) process.exit(ExitCode.ok);
  };
  process.stdout.on('error', onError);
  process.stderr.on('error', onError);
}

/** `kplay runs --prune`: what was removed, and what stays because a host could not be reached. */
async function pruneCommand(io: CliIO, output: OutputFormat): Promise<number> {
  const { pruneRuns } = await import('../executor/prune-runs.js');
  const r = await pruneRuns();
  if (output === 'json') io.out(toJson({ pruned: r.pruned, problems: r.problems }, io));
  else {
    io.out(r.pruned.length ? r.pruned.map((id) => `pruned ${id}\n`).join('') : 'no finished run to prune\n');
    for (const p of r.problems) io.err(`kplay: ${p}\n`);
  }
  return r.exitCode;
}

/** Runs the CLI with argv (without node and script); resolves to the exit code. */
export async function main(argv: string[], io: CliIO = defaultIO): Promise<number> {
  let debug = argv.includes('--debug');
  let code: number = ExitCode.ok;
  let readOnly = true;
  if (io === defaultIO) endQuietlyOnClosedOutput(() => readOnly);
  const program = new Command('kplay')
    .description('Declarative playbooks over SSH, made for debugging live Kubernetes components with Delve.')
    .version(pkg.version, '-V, --version', 'print the version')
    .option('--debug', 'show stack traces of internal errors')
    .showSuggestionAfterError()
    .exitOverride()
    .hook('preAction', (_program, command) => {
      readOnly = onlyReads(command);
    })
    .configureOutput({
      writeOut: io.out,
      writeErr: io.err,
      // Same shape as every other kplay error: "kplay: error: ..." and an indented hint.
      outputError: (str, write) => {
        const [message, ...rest] = str.trim().split('\n');
        const suggestion = /\(Did you mean (.+)\?\)/.exec(rest.join(' '))?.[1];
        write(`kplay: ${message}\n  hint: ${suggestion ? `Did you mean ${suggestion}? ` : ''}\`kplay --help\` lists the commands; \`kplay help COMMAND\` their flags.\n`);
      },
    });

  const outputOption = () =>
    new Option('-o, --output <format>', 'text for people, json for programs').choices(['text', 'json']).default('text');

  program
    .command('validate')
    .description('check playbooks, task files and inventories; report every problem with file:line:col')
    .argument('<paths...>', 'YAML files to check, or folders: every .yaml and .yml file under them')
    .addOption(outputOption())
    .action(async (files: string[], flags: { output: OutputFormat }) => {
      const { validate, formatDiagnostics } = await import('../index.js');
      const results = validate(files);
      // A task file checked on its own and through its playbook reports its problems once.
      const problems = uniqueDiagnostics(results.flatMap((r) => r.problems));
      const failed = problems.some((p) => p.severity === 'error');
      if (flags.output === 'json') io.out(toJson(results, io));
      else if (problems.length) io.err(formatDiagnostics(problems, { codeFrame: true }));
      if (flags.output === 'text') {
        const ok = results.filter((r) => !r.problems.some((p) => p.severity === 'error'));
        for (const r of ok) io.out(`ok  ${r.file} (${r.kind})\n`);
      }
      code = failed ? ExitCode.invalidInput : ExitCode.ok;
    });

  const runCommand = (name: string, description: string, dryRunAlways: boolean) => {
    const cmd = program
      .command(name)
      .description(description)
      .argument('<playbook>', 'a playbook file, or the name of a shipped playbook (see kplay list)')
      .requiredOption('-i, --inventory <file>', 'the inventory file')
      .option('-l, --limit <hosts>', 'only these hosts or groups (comma-separated; ! excludes)')
      .option('-e, --extra-vars <KEY=VALUE|@file>', 'set a variable (highest precedence); repeatable', collect, [])
      .option('-t, --tags <tags>', 'run only tasks with one of these tags (comma-separated)')
      .option('--skip-tags <tags>', 'skip tasks with one of these tags')
      .addOption(outputOption());
    if (!dryRunAlways) {
      cmd
        .option('-n, --dry-run', 'print the plan and stop: nothing is connected')
        .option('-f, --forks <n>', 'at most this many hosts at once', '20')
        .option('-v, --verbose', 'show the output of every task, not only of failures')
        .option('--detach', 'end with the changes in place (a hold returns at once); prints the kplay rollback that undoes them')
        .option('--force', 'run even on hosts locked by another run (after checking that run is really gone)');
    }
    cmd.action(async (playbook: string, flags: RunFlags) => {
      const { plan, formatPlan, formatDiagnostics } = await import('../index.js');
      const result = plan({
        playbook,
        inventory: flags.inventory,
        limit: flags.limit,
        extraVars: flags.extraVars,
        tags: splitList(flags.tags),
        skipTags: splitList(flags.skipTags),
      });
      if (result.warnings.length && flags.output === 'text') io.err(formatDiagnostics(result.warnings));
      if (dryRunAlways || flags.dryRun) {
        io.out(flags.output === 'json' ? toJson(result.plan, io) : formatPlan(result.plan));
        code = ExitCode.ok;
        return;
      }
      const forks = Number(flags.forks);
      if (!Number.isInteger(forks) || forks < 1) {
        throw new KplayError('E_USAGE', `--forks must be a whole number of at least 1, not "${flags.forks}"`, { hint: 'For example --forks 10.' });
      }
      const { executeOverSsh, inventorySecrets } = await import('../executor/run-playbook.js');
      const { createReporter } = await import('../report/index.js');
      const { planSource } = await import('../plan/build.js');
      const reporter = createReporter({
        output: flags.output,
        isTTY: io.isTTY,
        verbose: Boolean(flags.verbose),
        secrets: inventorySecrets(planSource(result.plan).inventory, process.env),
      });
      let runId = '';
      const { onSignals, offSignals } = interruptHandlers(io, () => runId);
      const controller = onSignals();
      try {
        const summary = await executeOverSsh(result.plan, {
          forks,
          reporter,
          force: flags.force,
          detach: flags.detach,
          signal: controller.signal,
          onRunId: (id) => (runId = id),
        });
        code = summary.exitCode;
        for (const r of summary.refusals) io.err(`kplay: refused: ${r}\n`);
        if (summary.leftBehind.length) {
          io.err(`kplay: the rollback is incomplete; left as it is:\n${summary.leftBehind.map((l) => `  - ${l}`).join('\n')}\n`);
          io.err(`  hint: fix what is named above, then run: kplay rollback ${runId}\n`);
        } else if (summary.state === 'detached') {
          io.err(`kplay: detached: the changes stay in place. To undo them: kplay rollback ${runId}\n`);
        } else if (summary.state === 'host_lost') {
          io.err(`kplay: a host was lost with changes in place. When it is back: kplay rollback ${runId}\n`);
        }
      } finally {
        offSignals();
      }
    });
  };
  runCommand('run', 'run a playbook on the hosts of an inventory (--dry-run: print the plan only)', false);
  runCommand('plan', 'print what a run would do on each host, without connecting (same as run --dry-run)', true);

  program
    .command('runs')
    .description('list the runs kplay has recorded and their state')
    .option('--prune', "remove finished runs' records (journals, copies of replaced files) here and on their hosts")
    .addOption(outputOption())
    .action(async (flags: { output: OutputFormat; prune?: boolean }) => {
      if (flags.prune) {
        code = await pruneCommand(io, flags.output);
        return;
      }
      const { listRunStates } = await import('../executor/rollback-run.js');
      const runs = listRunStates();
      if (flags.output === 'json') {
        io.out(toJson(runs, io));
        return;
      }
      if (!runs.length) io.out('no runs recorded yet\n');
      for (const r of runs) {
        const shown = RUN_STATE_WORDS[r.state][r.pending ? 0 : 1];
        io.out(`${r.runId}  ${shown.padEnd(30)} ${r.playbook}  [${r.hosts.join(', ')}]${r.pending ? `  ${r.pending} change${r.pending === 1 ? '' : 's'} to undo` : ''}\n`);
      }
    });

  program
    .command('rollback')
    .description('undo the changes of a run, newest first (default: the latest run with changes in place)')
    .argument('[run-id]', 'a run id from kplay runs')
    .option('-i, --inventory <file>', "for a run this controller has no record of: the hosts whose own journals say what to undo")
    .addOption(outputOption())
    .option('-v, --verbose', 'show the output of every undo step')
    .action(async (runId: string | undefined, flags: { output: OutputFormat; verbose?: boolean; inventory?: string }) => {
      const { rollbackRun } = await import('../executor/rollback-run.js');
      const { createReporter } = await import('../report/index.js');
      const reporter = (secrets: string[]) => createReporter({ output: flags.output, isTTY: io.isTTY, verbose: Boolean(flags.verbose), secrets });
      const r = await rollbackRun({ runId, reporter, inventory: flags.inventory });
      code = r.exitCode;
      if (r.leftBehind.length) {
        io.err(`kplay: the rollback of ${r.runId} is incomplete:\n${r.leftBehind.map((l) => `  - ${l}`).join('\n')}\n  hint: fix what is named above and run kplay rollback ${r.runId} again.\n`);
      }
    });

  program
    .command('list')
    .description('list the shipped playbooks with their descriptions and variables')
    .addOption(outputOption())
    .action(async (flags: { output: OutputFormat }) => {
      const { listPlaybooks } = await import('../index.js');
      const { formatPlaybookList } = await import('./list-format.js');
      const list = listPlaybooks();
      io.out(flags.output === 'json' ? toJson(list, io) : formatPlaybookList(list));
    });

  if (argv.length === 0) {
    io.err(program.helpInformation());
    io.err('kplay: error: no command given\n  hint: Start with `kplay list`, or `kplay run PLAYBOOK -i INVENTORY --dry-run`.\n');
    return ExitCode.invalidInput;
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
    debug = Boolean(program.opts().debug);
    return code;
  } catch (err) {
    return reportError(err, io, debug, outputWanted(argv));
  }
}

function outputWanted(argv: string[]): OutputFormat {
  const i = argv.findIndex((a) => a === '-o' || a === '--output');
  return argv[i + 1] === 'json' || argv.includes('--output=json') ? 'json' : 'text';
}

async function reportError(err: unknown, io: CliIO, debug: boolean, output: OutputFormat): Promise<number> {
  if (err instanceof CommanderError) {
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') {
      return ExitCode.ok;
    }
    // Commander has printed the message already, through outputError.
    return ExitCode.invalidInput;
  }
  if (err instanceof KplayError) {
    const problems: Diagnostic[] = err.diagnostics;
    if (output === 'json') io.out(toJson({ error: { code: err.code, problems } }, io));
    else {
      const { formatDiagnostics } = await import('../report/diagnostics.js');
      io.err(formatDiagnostics(problems, { codeFrame: true }));
    }
    if (debug && err.stack) io.err(`${err.stack}\n`);
    return err.exitCode;
  }
  const e = err instanceof Error ? err : new Error(String(err));
  io.err(`kplay: internal error: ${e.message}\n  hint: this is a bug in kplay; run again with --debug and report the output.\n`);
  if (debug && e.stack) io.err(`${e.stack}\n`);
  return ExitCode.internal;
}
