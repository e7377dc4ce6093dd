import type { TaskStatus } from '../report/events.js';
import type { TaskOutcome } from '../tasks/kind.js';

/** What a task leaves for later tasks under its `register` name. */
export interface RegisteredResult {
  status: TaskStatus;
  changed: boolean;
  failed: boolean;
  skipped: boolean;
  rc: number | null;
  stdout: string;
  stderr: string;
  lines: string[];
  value?: unknown;
}

function text(b: Buffer | string | undefined): string {
  return b === undefined ? '' : typeof b === 'string' ? b : b.toString('utf8');
}

/** As Ansible does, stdout loses its final newline, so `{{pid.stdout}}` can go straight into a path. */
function chomp(s: string): string {
  return s.replace(/\r?\n$/, '');
}

/** A task's result in the shape templates read. */
export function registered(status: TaskStatus, o: Partial<TaskOutcome> = {}): RegisteredResult {
  const stdout = chomp(text(o.stdout));
  return {
    status,
    changed: status === 'changed',
    failed: status === 'failed',
    skipped: status === 'skipped',
    rc: o.rc ?? null,
    stdout,
    stderr: chomp(text(o.stderr)),
    lines: stdout === '' ? [] : stdout.split('\n'),
    ...(o.value !== undefined ? { value: o.value } : {}),
  };
}
