import type { Task as WrittenTask } from '../config/playbook.generated.js';

/** Keys every task accepts besides its kind. */
export const COMMON_KEYS = [
  'name',
  'when',
  'register',
  'rollback',
  'timeout',
  'retries',
  'delay',
  'until',
  'ignore_errors',
  'become',
  'local',
  'run_once',
  'vars',
  'tags',
] as const;

/** The task kinds, as the schema defines them (a task has exactly one of these keys). */
export type KindName = Exclude<keyof WrittenTask, (typeof COMMON_KEYS)[number]>;

/** A kind's arguments as written in YAML. */
export type WrittenArgs<K extends KindName> = NonNullable<WrittenTask[K]> | (null extends WrittenTask[K] ? null : never);

/** What each kind contributes to loading and planning; execution comes with the engine. */
export interface KindDef<K extends KindName, A = unknown> {
  readonly kind: K;
  /** Whether the task can change the host (dry-run says "would change"; the journal records it). */
  readonly changes: boolean;
  /** Argument fields (dotted paths) rendered as shell text: `{{x}}` is quoted there. Others are rendered as plain text. */
  readonly shellFields: readonly string[];
  /** Written arguments to one regular shape (`command: ls` becomes `{cmd: 'ls'}`). */
  normalize(written: WrittenArgs<K>): A;
  /** Lines that show a person exactly what the task would do, from rendered arguments. */
  preview(args: A): string[];
}
