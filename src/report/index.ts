// Picks how a run is shown: NDJSON for programs, listr2 on a terminal, plain lines for CI and pipes.
import type { Reporter } from './events.js';
import { JsonReporter } from './json-reporter.js';
import { ListrReporter } from './listr-reporter.js';
import { PlainReporter } from './plain-reporter.js';
import { NoLogReporter } from './no-log.js';
import { Redactor, RedactingReporter } from './redact.js';
import { colorAllowed } from './style.js';

export type { Reporter, RunEvent } from './events.js';
export { Redactor } from './redact.js';
export { noLogTaskIds } from './no-log.js';

/** How the caller wants the run shown. */
export interface ReporterOptions {
  output: 'text' | 'json';
  /** Whether `out` is a terminal. */
  isTTY: boolean;
  /** Show every task's output, not only failures'. */
  verbose: boolean;
  /** Values masked wherever they would appear. */
  secrets: string[];
  /** Ids of no_log tasks: their output and messages are hidden. */
  noLog?: ReadonlySet<string>;
  out?: NodeJS.WritableStream;
  err?: NodeJS.WritableStream;
}

/** The reporter for these options; it only ever sees events with the secrets masked. */
export function createReporter(opts: ReporterOptions, env: NodeJS.ProcessEnv = process.env): Reporter {
  const out = opts.out ?? process.stdout;
  const err = opts.err ?? process.stderr;
  let inner: Reporter;
  if (opts.output === 'json') {
    inner = new JsonReporter(out);
  } else if (opts.isTTY && env.TERM !== 'dumb') {
    // (A dumb terminal cannot move the cursor back: every redrawn frame would stay on screen.)
    inner = new ListrReporter({ out, err, verbose: opts.verbose, color: colorAllowed(env) });
  } else {
    inner = new PlainReporter({ out, verbose: opts.verbose });
  }
  if (opts.noLog?.size) inner = new NoLogReporter(inner, opts.noLog);
  return new RedactingReporter(inner, new Redactor(opts.secrets));
}
