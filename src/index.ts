// kplay's public API: the library (load, validate, plan, run) and the commands the CLI is made of,
// each a function of typed options and an output, resolving to an exit code.
export * from './library.js';
export type { CommandIO, OutputFormat } from './commands/io.js';
export { runCommand } from './commands/run.js';
export type { RunCommandOptions } from './commands/run.js';
export { rollbackCommand } from './commands/rollback.js';
export type { RollbackCommandOptions } from './commands/rollback.js';
export { runsCommand } from './commands/runs.js';
export type { RunsCommandOptions } from './commands/runs.js';
export { validateCommand } from './commands/validate.js';
export { listCommand } from './commands/list.js';
export type { ListCommandOptions } from './commands/list.js';
