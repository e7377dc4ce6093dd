import type { Diagnostic, SourcePos } from '../errors.js';
import type { KindName } from '../tasks/kind.js';
import type { TaskFileContracts } from './task-interface.js';
import type { DataPath, YamlSource } from './yaml-source.js';

/** Where something was written, so that errors found later (templates, hosts) point back at it. */
export interface Origin {
  src: YamlSource;
  dataPath: DataPath;
  pos: SourcePos;
  /** The include tasks that led here, outermost first. */
  includedFrom: SourcePos[];
}

/** A `when` written on a task or on an include around it; all must hold. */
export interface Condition {
  expr: string | boolean;
  origin: Origin;
}

/** Defaults a user does not have to write. */
export const TASK_DEFAULTS = {
  timeoutMs: 10 * 60_000,
  delayMs: 1000,
} as const;

/** How a task runs, as its keys say: the same on the loaded task and on each host's planned step. */
export interface TaskSettings {
  register?: string;
  timeoutMs: number;
  retries: number;
  delayMs: number;
  until?: string;
  ignoreErrors: boolean;
  /** no_log: its command and output are hidden in every output (its rollback's too). */
  noLog: boolean;
}

/** A task after loading: includes expanded, written shorthands normalized, durations in ms. */
export interface TaskSpec extends TaskSettings {
  /** Its place in the run: "3", or "3.2" for the second task of the include at 3. */
  id: string;
  name: string;
  kind: KindName;
  /** The kind's normalized arguments, still unrendered templates. */
  args: unknown;
  /** Where the arguments are written, for pointing template errors at them. */
  argsPath: DataPath;
  /** Written as one string (`command: ls`): every argument field then lives at argsPath itself. */
  argsShorthand: boolean;
  when: Condition[];
  rollback?: TaskSpec;
  /** rollback_after, resolved: the ids of the tasks (and of every task under an include) whose undos run before this task's. */
  rollbackAfter?: string[];
  /** changed_when: all must hold for a success to count as a change (empty: as the kind says). */
  changedWhen: Condition[];
  /** failed_when: all must hold for the task to have failed (empty: as the kind says). */
  failedWhen: Condition[];
  /** Unset means: as the playbook or inventory says. */
  become?: boolean;
  /** become_user; unset means: as the playbook or the host's become_user says (else root). */
  becomeUser?: string;
  local: boolean;
  runOnce: boolean;
  /** check_mode: false runs the task for real under --check; true only checks it, in any run. Unset: as the run says. */
  checkMode?: boolean;
  /** Include vars merged under the task's own vars. */
  vars: Record<string, unknown>;
  tags: string[];
  origin: Origin;
  /** `loop:`: the task runs once per item (see src/plan/loop.ts). */
  loop?: LoopSpec;
  /** On the copy of a looped task that runs one item: the loop's variables, used as they are (never rendered). */
  item?: Record<string, unknown>;
}

/** A task's `loop:` and `loop_control:`, as written. */
export interface LoopSpec {
  /** A YAML list (its strings are templates), or the text of the template `{{expr}}` that gives one. */
  over: unknown[] | string;
  /** The variable holding the item (loop_control.loop_var, default item). */
  loopVar: string;
  /** The variable holding the item's position from 0 (loop_control.index_var). */
  indexVar?: string;
  /** A template shown for each item instead of the item (loop_control.label). */
  label?: string;
  /** Where `loop:` is written. */
  origin: Origin;
}

/** A loaded, schema-checked playbook. */
export interface Playbook {
  name: string;
  description?: string;
  /** As shown to the user. */
  file: string;
  absPath: string;
  hosts: string[];
  hostsOrigin: Origin;
  /** Where each entry of `hosts` is written. */
  hostsPos: SourcePos[];
  maxHosts?: number;
  serial?: number;
  /** A failed host stops every host at the end of its current task. */
  anyErrorsFatal?: boolean;
  /** Once more than this percentage of a batch's hosts failed, the run stops; unset: a batch with a failed host is the last. */
  maxFailPercentage?: number;
  /** all: a failure on any host undoes every host's changes of the run. */
  rollbackOnFailure?: 'host' | 'all';
  become?: boolean;
  becomeUser?: string;
  vars: Record<string, unknown>;
  /** Shared defaults from vars_files, lowest precedence first; the playbook's own vars override them. */
  varsFiles: VarsFile[];
  /** Of the vars files and the playbook together. */
  varDescriptions: Record<string, string>;
  /** Variables whose values come from the environment or a file, never from YAML; masked everywhere. */
  secrets: SecretDecl[];
  tasks: TaskSpec[];
  /** The includes of task files that declare needs, checked once the inventory and -e are known. */
  taskFiles: TaskFileContracts;
  /** Every YAML file read to load it: the playbook, its vars files, the task files it includes. */
  sources: YamlSource[];
}

/** Where a secret's value is read from, on the controller: an environment variable, or a file (absolute path). */
export type SecretSource = { env: string } | { file: string };

/** A secret variable as the playbook declares it. */
export interface SecretDecl {
  name: string;
  source: SecretSource;
  /** The declaration, for errors about its value. */
  pos: SourcePos;
}

/** A file of shared variable defaults (playbooks list it under vars_files). */
export interface VarsFile {
  src: YamlSource;
  vars: Record<string, unknown>;
  descriptions: Record<string, string>;
}

/** What loading found: the value when it is usable, and every problem (errors and warnings). */
export interface Loaded<T> {
  value?: T;
  problems: Diagnostic[];
}
