// `kplay validate`: check files and report every problem of each.
import { ExitCode, uniqueDiagnostics } from '../errors.js';
import { validate } from '../library.js';
import { formatDiagnostics } from '../report/diagnostics.js';
import type { CommandIO, OutputFormat } from './io.js';
import { toJson } from './io.js';

/** Checks playbooks, task files and inventories; resolves to the exit code (4 when any has an error). */
export async function validateCommand(files: string[], opts: { output: OutputFormat }, io: CommandIO): Promise<number> {
  const results = validate(files);
  // A task file checked on its own and through its playbook reports its problems once.
  const problems = uniqueDiagnostics(results.flatMap((r) => r.problems));
  if (opts.output === 'json') io.out(toJson(results, io));
  else {
    if (problems.length) io.err(formatDiagnostics(problems, { codeFrame: true }));
    for (const r of results.filter((x) => !x.problems.some((p) => p.severity === 'error'))) io.out(`ok  ${r.file} (${r.kind})\n`);
  }
  return problems.some((p) => p.severity === 'error') ? ExitCode.invalidInput : ExitCode.ok;
}
