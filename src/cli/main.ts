// The kplay command line: flags to typed options, a call to a command function (src/commands/),
// errors to exit codes. Commands are imported inside the actions, so `kplay help` loads no YAML,
// schema or template engine.
import { readFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import type { CommandIO, OutputFormat } from '../commands/io.js';
import { toJson } from '../commands/io.js';
import { ExitCode, KplayError } from '../errors.js';
import type { Diagnostic } from '../errors.js';
import { Redactor } from '../report/redact.js';

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

interface RunFlags {
  inventory?: string;
  plan?: string;
  dryRun?: boolean;
  check?: boolean;
  diff?: boolean;
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

const outputOption = () => new Option('-o, --output <format>', 'text for people, json for programs').choices(['text', 'json']).default('text');

/** The program and its commands: each action turns flags into a command's options and keeps its exit code. */
function program(io: CommandIO, setCode: (code: number) => void, onCommand: (command: Command) => void): Command {
  const prog = new Command('kplay')
    .description('Declarative playbooks over SSH, made for debugging live Kubernetes components with Delve.')
    .version(pkg.version, '-V, --version', 'print the version')
    .option('--debug', 'show stack traces of internal errors')
    .showSuggestionAfterError()
    .exitOverride()
    .hook('preAction', (_program, command) => onCommand(command))
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
  prog
    .command('validate')
    .description('check playbooks, task files and inventories; report every problem with file:line:col')
    .argument('<paths...>', 'YAML files to check, or folders: every .yaml and .yml file under them')
    .addOption(outputOption())
    .action(async (files: string[], flags: { output: OutputFormat }) => {
      const { validateCommand } = await import('../commands/validate.js');
      setCode(await validateCommand(files, flags, io));
    });
  runCommands(prog, io, setCode);
  prog
    .command('runs')
    .description('list the runs kplay has recorded and their state')
    .option('--prune', "remove finished runs' records (journals, copies of replaced files) here and on their hosts")
    .addOption(outputOption())
    .action(async (flags: { output: OutputFormat; prune?: boolean }) => {
      const { runsCommand } = await import('../commands/runs.js');
      setCode(await runsCommand(flags, io));
    });
  prog
    .command('rollback')
    .description('undo the changes of a run, newest first (default: the latest run with changes in place)')
    .argument('[run-id]', 'a run id from kplay runs')
    .option('-i, --inventory <file>', "for a run this controller has no record of: the hosts whose own journals say what to undo")
    .addOption(outputOption())
    .option('-v, --verbose', 'show the output of every undo step')
    .option('--force', 'undo files changed since kplay wrote them (the changed ones are kept in the backup folder), and a run whose paths a newer run changed since')
    .action(async (runId: string | undefined, flags: { output: OutputFormat; verbose?: boolean; inventory?: string; force?: boolean }) => {
      const { rollbackCommand } = await import('../commands/rollback.js');
      setCode(await rollbackCommand({ runId, ...flags }, io));
    });
  prog
    .command('schemas')
    .description("print the folder of kplay's JSON Schemas, or copy them into a folder of yours for the $schema line of your playbooks")
    .option('--write <dir>', 'copy playbook, tasks, vars and inventory schemas into this folder (created if missing)')
    .action(async (flags: { write?: string }) => {
      const { schemasCommand } = await import('../commands/schemas.js');
      setCode(await schemasCommand(flags, io));
    });
  prog
    .command('list')
    .description('list the shipped playbooks with their descriptions and variables; with -i, the hosts of an inventory')
    .option('-i, --inventory <file>', "list this inventory's hosts, with where each came from (a file, or k8s:[CONTEXT] for a cluster's Nodes)")
    .option('-l, --limit <hosts>', 'only these hosts or groups (with -i)')
    .addOption(outputOption())
    .action(async (flags: { output: OutputFormat; inventory?: string; limit?: string }) => {
      const { listCommand } = await import('../commands/list.js');
      setCode(await listCommand(flags, io));
    });
  prog
    .command('inventory')
    .description('show an inventory as kplay resolves it (kplay\'s format, Ansible\'s INI or YAML, or a cluster\'s Nodes)')
    .command('show')
    .description('print the hosts (address, port, user, key, become), their groups and vars with where each comes from, and the groups')
    .requiredOption('-i, --inventory <file>', 'the inventory: a file (kplay or Ansible, INI or YAML), or k8s:[CONTEXT]')
    .option('--host <hosts>', 'only these hosts (names, groups or patterns, as --limit takes them)')
    .addOption(outputOption())
    .action(async (flags: { inventory: string; host?: string; output: OutputFormat }) => {
      const { inventoryShowCommand } = await import('../commands/inventory.js');
      setCode(await inventoryShowCommand(flags, io));
    });
  return prog;
}

/** `kplay run` and `kplay plan` (a dry run always): the same flags that shape a plan. */
function runCommands(prog: Command, io: CommandIO, setCode: (code: number) => void): void {
  for (const [name, description, dryRunAlways] of [
    ['run', 'run a playbook on the hosts of an inventory (--dry-run: print the plan only)', false],
    ['plan', 'print what a run would do on each host, without connecting (same as run --dry-run)', true],
  ] as const) {
    const cmd = prog.command(name).description(description);
    const playbookHelp = 'a playbook file, or the name of a shipped playbook (see kplay list)';
    // A run can instead take everything from a saved plan (--plan).
    if (dryRunAlways) cmd.argument('<playbook>', playbookHelp).requiredOption('-i, --inventory <file>', 'the inventory file, or k8s:[CONTEXT] for the Nodes of a cluster');
    else cmd.argument('[playbook]', playbookHelp).option('-i, --inventory <file>', 'the inventory file, or k8s:[CONTEXT] for the Nodes of a cluster (required without --plan)');
    cmd
      .option('-l, --limit <hosts>', 'only these hosts or groups (comma-separated; ! excludes)')
      .option('-e, --extra-vars <KEY=VALUE|@file>', 'set a variable (highest precedence); repeatable', collect, [])
      .option('-t, --tags <tags>', 'run only tasks with one of these tags (comma-separated)')
      .option('--skip-tags <tags>', 'skip tasks with one of these tags')
      .option('--diff', dryRunAlways ? 'show the files copy and template tasks would write, rendered for each host' : 'show a diff of every file copy and template tasks change (with --check: would change); with --dry-run, the rendered files')
      .addOption(outputOption());
    if (!dryRunAlways) {
      cmd
        .option('-n, --dry-run', 'print the plan and stop: nothing is connected')
        .option('-C, --check', 'connect and report what would change, changing nothing: commands are skipped (unless check_mode: false), copy and template compare with the host\'s file')
        .option('--plan <file>', 'run a plan saved with kplay plan -o json, if nothing it was built from has changed')
        .option('-f, --forks <n>', 'at most this many hosts at once', '20')
        .option('-v, --verbose', 'show the output of every task, not only of failures')
        .option('--detach', 'end with the changes in place (a hold returns at once); prints the kplay rollback that undoes them')
        .option('--force', 'run even on hosts locked by another run (after checking that run is really gone)');
    }
    cmd.action(async (playbook: string | undefined, flags: RunFlags) => {
      const { runCommand } = await import('../commands/run.js');
      const { tags, skipTags, dryRun, ...rest } = flags;
      setCode(await runCommand({ ...rest, playbook, tags: splitList(tags), skipTags: splitList(skipTags), dryRun: dryRunAlways || Boolean(dryRun) }, io));
    });
  }
}

/**
 * Whether a command only reads (so may stop at any point): everything but a real run, a rollback
 * and a prune, which would leave hosts half changed if they stopped midway.
 */
function onlyReads(command: Command): boolean {
  const flags = command.opts<{ dryRun?: boolean; prune?: boolean }>();
  if (command.name() === 'run') return Boolean(flags.dryRun) || Boolean(command.opts<{ check?: boolean }>().check);
  if (command.name() === 'runs') return !flags.prune;
  return command.name() !== 'rollback';
}

/** Whether a command works on this machine only: everything but a real run (--check too) and a rollback. */
function connectsToNothing(command: Command): boolean {
  if (command.name() === 'run') return Boolean(command.opts<{ dryRun?: boolean }>().dryRun);
  return command.name() !== 'rollback';
}

/**
 * Makes standard output blocking when it is a pipe. Node keeps a pipe non-blocking: what the
 * reader has not taken yet is queued, and Node goes back to its event loop each time the pipe
 * has room again. For `kplay plan -o json` of 500 hosts x 30 tasks (10 MB) that round trip cost
 * 5% (1043 ms against 995 ms, read as the benchmark reads it). Only for commands that connect to
 * nothing: a run's SSH sessions, timeouts and Ctrl-C must not wait on a slow reader. `_handle`
 * and its setBlocking are Node's own (libuv's uv_stream_set_blocking); a file has no handle
 * (Node writes files synchronously already) and a terminal is left as Node sets it.
 */
function blockingPipeOut(): void {
  if (process.stdout.isTTY) return;
  const handle = (process.stdout as unknown as { _handle?: { setBlocking?: (blocking: boolean) => number } })._handle;
  handle?.setBlocking?.(true);
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

/** Runs the CLI with argv (without node and script); resolves to the exit code. */
export async function main(argv: string[], raw: CliIO = defaultIO): Promise<number> {
  // Everything kplay prints passes here: secrets, once known (a playbook's, the inventory's
  // passwords), are masked in plans, messages and errors alike.
  const redactor = new Redactor([]);
  const io: CommandIO = {
    out: (s) => raw.out(redactor.text(s)),
    err: (s) => raw.err(redactor.text(s)),
    isTTY: raw.isTTY,
    mask: (values) => redactor.add(values),
    debug: argv.includes('--debug'),
  };
  let code: number = ExitCode.ok;
  let readOnly = true;
  if (raw === defaultIO) endQuietlyOnClosedOutput(() => readOnly);
  const prog = program(io, (c) => (code = c), (command) => {
    readOnly = onlyReads(command);
    if (raw === defaultIO && connectsToNothing(command)) blockingPipeOut();
  });
  if (argv.length === 0) {
    io.err(prog.helpInformation());
    io.err('kplay: error: no command given\n  hint: Start with `kplay list`, or `kplay run PLAYBOOK -i INVENTORY --dry-run`.\n');
    return ExitCode.invalidInput;
  }
  try {
    await prog.parseAsync(argv, { from: 'user' });
    return code;
  } catch (err) {
    return reportError(err, io, Boolean(io.debug), outputWanted(argv));
  }
}

function outputWanted(argv: string[]): OutputFormat {
  const i = argv.findIndex((a) => a === '-o' || a === '--output');
  return argv[i + 1] === 'json' || argv.includes('--output=json') ? 'json' : 'text';
}

async function reportError(err: unknown, io: CommandIO, debug: boolean, output: OutputFormat): Promise<number> {
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
