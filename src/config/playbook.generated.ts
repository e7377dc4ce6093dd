// Generated from schemas/playbook.schema.json by scripts/schema-codegen.ts: do not edit; run `npm run gen:schemas`.

/**
 * The tasks, run in this order on each host.
 *
 * @minItems 1
 */
export type TaskList = [Task, ...Task[]];
/**
 * A Handlebars expression, for example `(eq mode "static-pod")`, `enabled` or `(and a (not b))`; or true/false.
 */
export type Condition = string | boolean;
/**
 * Labels for --tags and --skip-tags. A task tagged `always` runs whatever --tags says.
 */
export type Tags = string[];
/**
 * Make sure a line is in a text file, or that no line matching regexp is (Ansible's lineinfile): with regexp, the last matching line is replaced; else the line is added after insertafter, before insertbefore, or at the end. Reports ok when nothing changes; its undo restores the file as it was, checked by checksum.
 */
export type Lineinfile = (
  | {
      [k: string]: unknown;
    }
  | {
      /**
       * absent: then regexp may stand in for line.
       */
      state: 'absent';
    }
) & {
  /**
   * The file on the host.
   */
  path: string;
  /**
   * The line to put in (without its newline). With backrefs, \1 or \g<name> insert regexp's groups.
   */
  line?: string;
  /**
   * A regular expression (JavaScript's syntax) matched against each line: with state present, the last line it matches is replaced; with state absent, every line it matches is removed.
   */
  regexp?: string;
  /**
   * present (the default) or absent.
   */
  state?: 'present' | 'absent';
  /**
   * Where a new line goes when regexp matches nothing: after the last line this regular expression matches, or EOF (the default). Nothing matching: at the end.
   */
  insertafter?: string;
  /**
   * Where a new line goes when regexp matches nothing: before the last line this regular expression matches, or BOF (the start). Nothing matching: at the end.
   */
  insertbefore?: string;
  /**
   * Create the file (its folder must exist) when it does not exist; else a missing file fails the task.
   */
  create?: boolean;
  /**
   * Expand regexp's groups in line; when regexp matches no line, the file is left as it is.
   */
  backrefs?: boolean;
  /**
   * Permission bits of path.
   */
  mode?: string;
  /**
   * Owner of path (default: kept, or the user for a created file).
   */
  owner?: string;
  /**
   * Group of path (default: kept).
   */
  group?: string;
};

/**
 * A kplay playbook: ordered tasks run on each host that the hosts pattern selects.
 */
export interface KplayPlaybook {
  /**
   * What the playbook does, shown in previews and reports.
   */
  name: string;
  /**
   * A longer explanation, shown by `kplay list`.
   */
  description?: string;
  /**
   * Which inventory hosts to run on: a host name, a group name, "all", or a list of these. --limit narrows it further.
   */
  hosts: string | [string, ...string[]];
  /**
   * Refuse to run when the hosts pattern (after --limit) selects more hosts than this, before anything is changed. Debug playbooks set 1.
   */
  max_hosts?: number;
  /**
   * Files of shared variable defaults (each with vars and var_descriptions), relative to the playbook, read in order before its own vars, which override them. `kplay:NAME` names a file shipped with kplay (kplay:lib/build-vars.yaml), wherever kplay is installed.
   */
  vars_files?: string[];
  vars?: Vars;
  /**
   * One line per variable saying what it means; `kplay list` and the README show them.
   */
  var_descriptions?: {
    [k: string]: string;
  };
  /**
   * Variables whose values are secret: each is read from an environment variable or a file on the controller when the run starts, never written in YAML, and masked as ******** in every output, event and journal. A dry run does not need the values.
   */
  secrets?: {
    [k: string]: SecretSource;
  };
  /**
   * Run at most this many hosts at once; the next batch starts when a batch is done.
   */
  serial?: number;
  /**
   * A failed host stops every host of the run at the end of its current task (Ansible's any_errors_fatal); hosts stopped part-way are rolled back, and later batches do not start.
   */
  any_errors_fatal?: boolean;
  /**
   * Go on while at most this percentage of a batch's hosts failed; once more than this failed, every host of the batch stops at the end of its current task and later batches do not start. Without it, a batch with a failed host is the last one.
   */
  max_fail_percentage?: number;
  /**
   * host (default): a failed host is rolled back alone and the others keep their changes. all: a failure on any host stops every host and undoes every host's changes of this run, finished hosts too, each in reverse order; the run exits 2 with every host back.
   */
  rollback_on_failure?: 'host' | 'all';
  /**
   * Run every task through sudo unless a task says otherwise.
   */
  become?: boolean;
  /**
   * The user become runs tasks as (sudo -u USER), unless a task says otherwise; default root, or the host's become_user setting.
   */
  become_user?: string;
  tasks: TaskList;
}
/**
 * Default values of variables; inventory, group, host, task and -e values override them, in that order.
 */
export interface Vars {
  [k: string]: unknown;
}
/**
 * Where a secret's value comes from: exactly one of env or file.
 */
export interface SecretSource {
  /**
   * The environment variable holding the value (on the controller).
   */
  env?: string;
  /**
   * A file on the controller holding the value (relative to the playbook; one final newline is dropped).
   */
  file?: string;
  /**
   * What the secret is, for people.
   */
  description?: string;
}
/**
 * A task: a name, exactly one kind key (command, copy, fetch, template, wait_for, read, move, include, dlv, tunnel, hold, file, lineinfile, assert, fail, debug, set_fact) and optional common keys.
 */
export interface Task {
  /**
   * What the task does, shown in previews and reports.
   */
  name: string;
  /**
   * Run the task only when this expression is true; otherwise it is skipped.
   */
  when?: string | boolean;
  /**
   * Keep the task's result under this name for later tasks: .stdout, .stderr, .rc, .lines, .value, .failed, .changed, .skipped.
   */
  register?: string;
  /**
   * The undo step: a shell command, or a task, run when a later step fails, on Ctrl-C, or by `kplay rollback`.
   */
  rollback?: string | RollbackTask;
  /**
   * Fail the task (and kill what it started) when it runs longer than this. Default 10m.
   */
  timeout?: number | string;
  /**
   * Try again this many times when the task fails or `until` is false.
   */
  retries?: number;
  /**
   * Wait this long between retries. Default 1s.
   */
  delay?: number | string;
  /**
   * Retry until this expression is true; the task's own result is `result` (and its register name).
   */
  until?: string;
  /**
   * A failure of this task does not stop the host's run.
   */
  ignore_errors?: boolean;
  /**
   * Hide the task's command and output (and those of its rollback) in every output: the plan, events, -v output and messages.
   */
  no_log?: boolean;
  /**
   * Whether a successful run counts as a change: a condition (the `when` language) evaluated after the task ran, with its result under its register name and `result`; a list means all must hold. false: report ok, never changed.
   */
  changed_when?: Condition | [Condition, ...Condition[]];
  /**
   * When the task failed, instead of its exit status: a condition evaluated after the task ran, with its result under its register name and `result`; true fails it (even with rc 0), false makes it succeed whatever the rc. A list means all must hold.
   */
  failed_when?: Condition | [Condition, ...Condition[]];
  /**
   * Run through sudo (non-interactively).
   */
  become?: boolean;
  /**
   * The user that become runs the task as (sudo -u USER); default root, or the host's become_user setting.
   */
  become_user?: string;
  /**
   * Run on the controller (the machine running kplay) instead of the host.
   */
  local?: boolean;
  /**
   * Run on the first host of the batch only; its registered result is shared with the others.
   */
  run_once?: boolean;
  vars?: Vars1;
  tags?: Tags;
  /**
   * false: the task runs for real under --check (for a command that only reads; it is not journaled there). true: the task only says what it would do, in every run. Unset: as the run says.
   */
  check_mode?: boolean;
  /**
   * Run the task once per item of this list, with the item as `item`: a YAML list, or a template giving one ("{{files}}", "{{out.lines}}"). Each item is its own change, undone on its own.
   */
  loop?: unknown[] | string;
  loop_control?: LoopControl;
  /**
   * Run this task's undo only after the undos of these tasks (names of tasks or includes of the playbook), although undos otherwise run newest first: restart a service once its old config is back.
   */
  rollback_after?: string | [string, ...string[]];
  /**
   * Run a shell command on the host. {{x}} inserts x shell-quoted; {{{x}}} inserts it raw.
   */
  command?:
    | string
    | {
        /**
         * The shell command.
         */
        cmd: string;
        /**
         * Folder to run it in.
         */
        cwd?: string;
        env?: StringMap;
      };
  copy?: Copy;
  fetch?: Fetch;
  template?: Template;
  wait_for?: WaitFor;
  read?: Read;
  move?: Move;
  /**
   * Run the tasks of a task file, relative to this file (or `kplay:lib/NAME.yaml` for a task file shipped with kplay), with extra variables. What the file declares under needs must be defined here: checked by kplay validate and before every run.
   */
  include?:
    | string
    | {
        /**
         * The task file: a path relative to this file, or kplay:lib/NAME.yaml for one shipped with kplay.
         */
        file: string;
        vars?: Vars2;
      };
  dlv?: Dlv;
  tunnel?: Tunnel;
  /**
   * Keep the run (and its tunnels) alive until Ctrl-C or the timeout, then roll back.
   */
  hold?: null | {
    /**
     * What to tell the user while holding.
     */
    message?: string;
    /**
     * Stop holding after this long.
     */
    timeout?: number | string;
  };
  file?: File;
  lineinfile?: Lineinfile;
  assert?: Assert;
  /**
   * Fail the task on purpose, with a message (a template); usually with when. Changes nothing.
   */
  fail?:
    | string
    | {
        /**
         * The failure's message (a template).
         */
        msg?: string;
      };
  debug?: Debug;
  set_fact?: SetFact;
}
/**
 * An undo step written as a task: one kind key and optional common keys; the name defaults to "undo: <task name>".
 */
export interface RollbackTask {
  /**
   * What the undo step does.
   */
  name?: string;
  /**
   * Run the task only when this expression is true; otherwise it is skipped.
   */
  when?: string | boolean;
  /**
   * Fail the task (and kill what it started) when it runs longer than this. Default 10m.
   */
  timeout?: number | string;
  /**
   * Try again this many times when the task fails or `until` is false.
   */
  retries?: number;
  /**
   * Wait this long between retries. Default 1s.
   */
  delay?: number | string;
  /**
   * Retry until this expression is true; the task's own result is `result` (and its register name).
   */
  until?: string;
  /**
   * A failure of this task does not stop the host's run.
   */
  ignore_errors?: boolean;
  /**
   * Hide the task's command and output (and those of its rollback) in every output: the plan, events, -v output and messages.
   */
  no_log?: boolean;
  /**
   * Run through sudo (non-interactively).
   */
  become?: boolean;
  /**
   * Run on the controller (the machine running kplay) instead of the host.
   */
  local?: boolean;
  vars?: Vars1;
  /**
   * Run a shell command on the host. {{x}} inserts x shell-quoted; {{{x}}} inserts it raw.
   */
  command?:
    | string
    | {
        /**
         * The shell command.
         */
        cmd: string;
        /**
         * Folder to run it in.
         */
        cwd?: string;
        env?: StringMap;
      };
  copy?: Copy;
  fetch?: Fetch;
  template?: Template;
  wait_for?: WaitFor;
  read?: Read;
  move?: Move;
  dlv?: Dlv;
}
/**
 * Variables for this task only; they override playbook, inventory, group and host vars.
 */
export interface Vars1 {
  [k: string]: unknown;
}
/**
 * Environment variables for the command.
 */
export interface StringMap {
  [k: string]: string | number | boolean;
}
/**
 * Upload a file from the controller (src) or inline text (content) to dest; skipped when dest already has the same content.
 */
export interface Copy {
  /**
   * File on the controller, relative to the playbook.
   */
  src?: string;
  /**
   * Text to write instead of a file.
   */
  content?: string;
  /**
   * Path on the host.
   */
  dest: string;
  /**
   * Permission bits of dest.
   */
  mode?: string;
  /**
   * Owner of dest.
   */
  owner?: string;
  /**
   * Group of dest.
   */
  group?: string;
  /**
   * Keep the old dest so that rollback can restore it.
   */
  backup?: boolean;
}
/**
 * Download a file from the host to the controller.
 */
export interface Fetch {
  /**
   * Path on the host.
   */
  src: string;
  /**
   * Path on the controller, relative to the working folder; {{host.name}} keeps hosts apart.
   */
  dest: string;
}
/**
 * Render a Handlebars file from the controller with the host's variables and upload it.
 */
export interface Template {
  /**
   * Template file on the controller, relative to the playbook.
   */
  src: string;
  /**
   * Path on the host.
   */
  dest: string;
  /**
   * Permission bits of dest.
   */
  mode?: string;
  /**
   * Owner of dest.
   */
  owner?: string;
  /**
   * Group of dest.
   */
  group?: string;
  /**
   * Keep the old dest so that rollback can restore it.
   */
  backup?: boolean;
}
/**
 * Poll until a port is open or closed, a path is present or absent, or a process is present or absent.
 */
export interface WaitFor {
  /**
   * TCP port to watch.
   */
  port?: number | string;
  /**
   * Address the port is checked on, from the host itself. Default 127.0.0.1.
   */
  host?: string;
  /**
   * File or folder to watch.
   */
  path?: string;
  /**
   * Process to watch: a pattern matched against full command lines (pgrep -f).
   */
  process?: string;
  /**
   * What to wait for: open or closed (port), present or absent (path, process). Default open / present.
   */
  state?: 'open' | 'closed' | 'present' | 'absent';
  /**
   * Give up after this long. Default 5m.
   */
  timeout?: number | string;
  /**
   * Time between checks. Default 1s.
   */
  interval?: number | string;
}
/**
 * Read a file on the host and parse it into the registered `value`.
 */
export interface Read {
  /**
   * Path on the host.
   */
  path: string;
  /**
   * How to parse it: yaml, json, env (KEY=VALUE lines), lines, or cmdline (NUL-separated, as /proc/PID/cmdline).
   */
  format: 'yaml' | 'json' | 'env' | 'lines' | 'cmdline';
}
/**
 * Move a file or folder on the host (for example a static-pod manifest out of the kubelet's folder). Refuses to overwrite an existing destination; records the file's checksum, and its undo moves it back after checking it.
 */
export interface Move {
  /**
   * What to move.
   */
  src: string;
  /**
   * Where to: a path that must not exist yet. Keep it on the same filesystem, so the move is a rename.
   */
  dest: string;
}
/**
 * Start a program under Delve, headless and detached; rollback stops it.
 */
export interface Dlv {
  /**
   * The program to run (a debug build).
   */
  binary: string;
  /**
   * Its arguments: a list (each item one argument), or a shell fragment such as "{{args flags.value}}".
   */
  args?: string[] | string;
  /**
   * Address Delve listens on. Default 127.0.0.1:2345; anything but loopback exposes an unauthenticated port.
   */
  listen?: string;
  /**
   * Let the program run until a debugger stops it, instead of waiting paused.
   */
  continue?: boolean;
  /**
   * More options for dlv itself (before the program's arguments), such as --check-go-version=false: a list (each item one option), or a shell fragment.
   */
  flags?: string[] | string;
  /**
   * Path of the dlv binary on the host. Default: dlv from PATH.
   */
  dlv?: string;
  /**
   * File that receives Delve's and the program's output.
   */
  log?: string;
  /**
   * File that receives Delve's process id.
   */
  pid_file?: string;
  /**
   * Folder to start in.
   */
  cwd?: string;
  env?: StringMap1;
  /**
   * A file on the host of NUL-separated NAME=VALUE entries (as /proc/PID/environ) that the program gets as well, less what belongs to that process's session (PATH, HOME, HOSTNAME, TERM, SHLVL, PWD, _ and the like); env wins over it.
   */
  env_file?: string;
  /**
   * Where the host runs systemd, start Delve in a transient unit of this name (systemd-run): a cgroup of its own, so it outlives the SSH session even when logind ends the session's processes; the undo stops the unit. Elsewhere Delve is detached with setsid.
   */
  unit?: string;
}
/**
 * Environment variables for the program.
 */
export interface StringMap1 {
  [k: string]: string | number | boolean;
}
/**
 * How a loop names its item: loop_var (default item), index_var (the item's position, from 0), label (a template shown instead of the item).
 */
export interface LoopControl {
  /**
   * A variable name: letters, digits and underscores, not starting with a digit.
   */
  loop_var?: string;
  /**
   * A variable name: letters, digits and underscores, not starting with a digit.
   */
  index_var?: string;
  /**
   * What the output shows for each item (a template; default the item itself).
   */
  label?: string;
}
/**
 * Variables for the included tasks.
 */
export interface Vars2 {
  [k: string]: unknown;
}
/**
 * Forward a port on the controller to a port reachable from the host, over the SSH connection.
 */
export interface Tunnel {
  /**
   * Port on the host side.
   */
  remote_port: number | string;
  /**
   * Address on the host side. Default 127.0.0.1.
   */
  remote_host?: string;
  /**
   * Port on the controller. Default: the same as remote_port.
   */
  local_port?: number | string;
  /**
   * Address on the controller. Default 127.0.0.1.
   */
  local_host?: string;
}
/**
 * Make a path be a folder, a file, a link, or absent, with the mode and owner asked for (Ansible's file). Reports ok when it already is; its undo puts the path back as it was: a created folder is removed if still empty, a removed path comes back from the run's backup folder, a changed mode, owner or link target is set back.
 */
export interface File {
  /**
   * Path on the host.
   */
  path: string;
  /**
   * What path should be: file (it must exist; only its mode and owner change; the default), directory (created with missing parents), touch (created empty, or its times updated), link (a symbolic link to src), absent (moved to the run's backup folder).
   */
  state?: 'file' | 'directory' | 'touch' | 'link' | 'absent';
  /**
   * The link's target, for state: link (written into the link as it is: relative to the link's folder unless absolute).
   */
  src?: string;
  /**
   * Permission bits of path.
   */
  mode?: string;
  /**
   * Owner of path.
   */
  owner?: string;
  /**
   * Group of path.
   */
  group?: string;
  /**
   * Not supported: kplay sets the mode and owner of path itself only.
   */
  recurse?: false;
}
/**
 * Check conditions (the `when` language) on the controller; the task fails with fail_msg when one is false. Changes nothing.
 */
export interface Assert {
  /**
   * The conditions that must all hold.
   */
  that: Condition | [Condition, ...Condition[]];
  /**
   * The failure's message (a template); default names the first false condition.
   */
  fail_msg?: string;
  /**
   * Shown when every condition holds (a template).
   */
  success_msg?: string;
  /**
   * Say nothing when every condition holds.
   */
  quiet?: boolean;
}
/**
 * Show a message (msg, a template) or a variable's value (var, a name or dotted path) on the host's line. Secrets are masked. Changes nothing.
 */
export interface Debug {
  /**
   * The message (a template).
   */
  msg?: string;
  /**
   * A variable or a path into one, such as result.stdout.
   */
  var?: string;
}
/**
 * Set variables for the later tasks on this host: name: value pairs; strings are templates. Runs on the controller and changes nothing.
 */
export interface SetFact {
  [k: string]: unknown;
}
