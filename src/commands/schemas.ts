// `kplay schemas`: where the JSON Schemas of this kplay are, or copies of them in a folder of the
// user's, so that the `$schema` modeline of a playbook kept outside kplay's checkout has a target
// that does not depend on where (or whether globally) kplay is installed.
import { copyFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ExitCode, KplayError } from '../errors.js';
import { SCHEMA_DIR } from '../config/schema-check.js';
import type { CommandIO } from './io.js';

/** The schema files, which refer to each other by these names: they are copied together. */
export const SCHEMA_FILES = ['playbook.schema.json', 'tasks.schema.json', 'vars.schema.json', 'inventory.schema.json'] as const;

/** Prints the installed schemas' folder, or writes the schemas into `write`; resolves to the exit code. */
export async function schemasCommand(opts: { write?: string }, io: CommandIO): Promise<number> {
  const from = fileURLToPath(SCHEMA_DIR);
  if (opts.write === undefined) {
    io.out(`${from}\n`);
    return ExitCode.ok;
  }
  const dir = path.resolve(opts.write);
  try {
    mkdirSync(dir, { recursive: true });
    for (const f of SCHEMA_FILES) copyFileSync(path.join(from, f), path.join(dir, f));
  } catch (err) {
    throw new KplayError('E_FILE', `cannot write the schemas into ${opts.write}: ${(err as Error).message}`, {
      hint: 'Name a folder you can write to (it is created if missing).',
      cause: err,
      exitCode: ExitCode.invalidInput,
    });
  }
  for (const f of SCHEMA_FILES) io.out(`wrote ${path.join(opts.write, f)}\n`);
  return ExitCode.ok;
}
