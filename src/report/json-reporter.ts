// `--output json`: the events themselves, one per line, for programs. Nothing else may reach this stream.
import type { Recap, Reporter, RunEvent } from './events.js';
import { flush } from './streams.js';

type EventType = RunEvent['type'];
type FieldsOf<K extends EventType> = keyof Extract<RunEvent, { type: K }>;

// The order consumers see, whatever order the engine built the object in: type and time first, then as events.ts declares.
const FIELD_ORDER = {
  run_start: ['type', 'time', 'runId', 'playbook', 'file', 'hosts', 'description', 'check', 'diff'],
  host_start: ['type', 'time', 'host', 'address'],
  task_start: ['type', 'time', 'host', 'taskId', 'name', 'kind', 'preview'],
  task_progress: ['type', 'time', 'host', 'taskId', 'message', 'done', 'total'],
  task_end: [
    'type',
    'time',
    'host',
    'taskId',
    'name',
    'kind',
    'status',
    'code',
    'message',
    'pos',
    'rc',
    'signal',
    'timedOut',
    'stdout',
    'stderr',
    'attempts',
    'durationMs',
    'ignoredError',
    'check',
    'diffs',
  ],
  host_end: ['type', 'time', 'host', 'status', 'code', 'recap', 'message', 'hint'],
  run_end: ['type', 'time', 'runId', 'exitCode', 'durationMs', 'recap'],
} as const satisfies { [K in EventType]: readonly FieldsOf<K>[] };

const RECAP_ORDER = ['ok', 'changed', 'failed', 'skipped', 'unreachable'] as const satisfies readonly (keyof Recap)[];

// Fails to compile when events.ts gains a field this file does not place, instead of silently moving it last.
type Unplaced = { [K in EventType]: Exclude<FieldsOf<K>, (typeof FIELD_ORDER)[K][number]> }[EventType];
const allPlaced: [Unplaced] extends [never] ? true : Unplaced = true;
void allPlaced;

function ordered(obj: object, keys: readonly string[]): Record<string, unknown> {
  const src = obj as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const k of keys) if (k in src) out[k] = src[k];
  // Fields a newer engine adds are kept, after the known ones.
  for (const k of Object.keys(src)) if (!(k in out)) out[k] = src[k];
  return out;
}

/** The event as it is printed: its fields, and a recap's counts, in the documented order. */
export function canonicalEvent(e: RunEvent): Record<string, unknown> {
  const out = ordered(e, FIELD_ORDER[e.type] ?? []);
  if (e.type === 'host_end') out.recap = ordered(e.recap, RECAP_ORDER);
  if (e.type === 'run_end') {
    out.recap = Object.fromEntries(Object.entries(e.recap).map(([host, r]) => [host, ordered(r, RECAP_ORDER)]));
  }
  return out;
}

/** Writes each event as one line of JSON (NDJSON) to `out`. */
export class JsonReporter implements Reporter {
  constructor(private readonly out: NodeJS.WritableStream = process.stdout) {}

  onEvent(e: RunEvent): void {
    this.out.write(`${JSON.stringify(canonicalEvent(e))}\n`);
  }

  /** Resolves once everything written so far has been handed to the OS. */
  close(): Promise<void> {
    return flush(this.out);
  }
}
