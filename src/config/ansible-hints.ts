// What an Ansible user writes and what kplay calls it. Every hint here answers a key the schema
// does not know (it is only asked about keys the schema refused), so when kplay gains a key of
// the same name its row simply stops firing; delete the row then. Rows that point at another
// kplay feature ask whether the schema has it (`known`), so the hint follows the language.
import type { Diagnostic } from '../errors.js';
import { posAt } from './yaml-source.js';
import type { YamlSource } from './yaml-source.js';

/** Whether the mapping the unknown key sits in accepts a key of this name. */
export type Known = (key: string) => boolean;

type Row = string | ((known: Known) => string);

const LOOP = (known: Known): string =>
  known('loop') ? 'write `loop:` with the list (the item is `item`, as in Ansible)' : 'there are no loops: write one task per item, or loop inside a `command`';

const BLOCK =
  'there are no blocks: put the tasks in a task file and `include:` it (when, tags, vars and no_log on the include apply to every task in it)';

const HANDLER =
  'there are no handlers: `register:` the task that changes something, and run the follow-up task after it with `when: NAME.changed`';

/** Keys of a task, and modules written as a task's key. */
const TASK_KEYS: Readonly<Record<string, Row>> = {
  delegate_to: 'a task runs on the host it is planned for; `local: true` runs it on the controller (delegate_to: localhost). There is no delegation to another host: add that host to the play and limit the task to it with `when: (eq host.name "NAME")`',
  local_action: 'write the module as the task\'s kind and add `local: true`: it runs on the controller',
  connection: '`local: true` runs a task on the controller (connection: local); kplay connects over SSH otherwise',
  block: BLOCK,
  rescue: `there is no rescue: when a task fails, kplay undoes what was done on that host, newest first, with each task's \`rollback:\`; give the changes their undo there`,
  always: 'there is no always: a cleanup that must happen on failure too is the `rollback:` of the task that made the mess; on success, put it as the last task',
  notify: HANDLER,
  listen: HANDLER,
  handlers: HANDLER,
  vars_prompt: 'nothing is prompted for: pass values with -e NAME=VALUE or a vars file (-e @file.yaml), and secrets through `secrets:` (from the environment or a file)',
  include_tasks: 'write `include: FILE` (a task file: a YAML list of tasks); `vars:` and `when:` on the include apply to every task in it',
  import_tasks: 'write `include: FILE` (a task file: a YAML list of tasks); kplay reads included files when it loads the playbook, as import_tasks does',
  include_role: 'there are no roles: put the role\'s tasks in a task file and `include:` it',
  import_role: 'there are no roles: put the role\'s tasks in a task file and `include:` it',
  import_playbook: 'a kplay playbook is one play: run the other playbook with its own `kplay run`',
  shell: 'there is no "shell" kind: `command` already runs its string through sh, so pipes and redirects work',
  raw: 'there is no "raw" kind: use `command`',
  script: 'there is no "script" kind: `copy` the script, then run it with `command`',
  service: 'there is no "service" kind: use `command: systemctl ...`',
  systemd: 'there is no "systemd" kind: use `command: systemctl ...`',
  slurp: 'write `read:` (its `path`, and `format` to parse it): the content lands in NAME.value with `register: NAME`',
  stat: 'use `read:` on the file, or `command: test -e PATH` with `register:` and `ignore_errors: true`',
  become_method: '`become` uses sudo, and only to become root',
  gather_facts: 'no facts are gathered: read what a task needs with `read:` (for example /etc/os-release with format: env) or a `command:` with `register:`',
  environment: 'write `env:` under the kind (`command: {cmd: ..., env: {NAME: value}}`; dlv takes one too)',
  args: 'put the arguments under the kind itself: `command: {cmd: ..., cwd: DIR, env: {...}}` (cwd is Ansible\'s chdir)',
  async: 'there is no async: each task runs until it ends or its `timeout:`; a program to debug runs detached under `dlv`, and `hold` keeps a session open',
  poll: 'a task runs until it ends or its `timeout:`; use `wait_for:` or `until:` with `retries:` to poll',
  remote_user: 'the login user is the host\'s `user` in the inventory',
};

/** Keys of a play (a kplay playbook). */
const PLAY_KEYS: Readonly<Record<string, Row>> = {
  gather_facts: TASK_KEYS.gather_facts!,
  vars_prompt: TASK_KEYS.vars_prompt!,
  handlers: HANDLER,
  roles: 'there are no roles: put the role\'s tasks in a task file and `include:` it from tasks',
  pre_tasks: 'a kplay playbook has one list, `tasks:`: put these tasks first in it',
  post_tasks: 'a kplay playbook has one list, `tasks:`: put these tasks last in it',
  remote_user: TASK_KEYS.remote_user!,
  become_method: TASK_KEYS.become_method!,
  connection: TASK_KEYS.connection!,
  environment: TASK_KEYS.environment!,
  strategy: 'each host runs its tasks in order, hosts side by side (--forks); `serial:` runs them in batches',
  import_playbook: TASK_KEYS.import_playbook!,
};

// "ansible.builtin.copy", "ansible.posix.synchronize": a collection's module, named in full.
const FQCN = /^ansible\.[a-z_]+\.([a-z_]+)$/;

/** The kplay kind an Ansible module name maps to, when the name differs. */
const MODULE_KINDS: Readonly<Record<string, string>> = { shell: 'command', slurp: 'read' };

function fullModuleName(key: string, known: Known): string | undefined {
  const m = FQCN.exec(key);
  if (!m) return undefined;
  const module = m[1]!;
  const kind = MODULE_KINDS[module] ?? module;
  if (known(kind)) return `kinds have short names: write \`${kind}:\` for ${key}${MODULE_KINDS[module] ? ` (${module}: ${TASK_KEYS[module] as string})` : ''}`;
  return hintFor(TASK_KEYS, module, known) ?? `there is no "${module}" kind; a \`command\` can do what the module does`;
}

function hintFor(table: Readonly<Record<string, Row>>, key: string, known: Known): string | undefined {
  const row = table[key];
  const text = typeof row === 'function' ? row(known) : row;
  return text || undefined;
}

/** The kplay way for an Ansible key found on a task (or a rollback task), if it is one. */
export function ansibleTaskHint(key: string, known: Known): string | undefined {
  if (key.startsWith('with_')) return LOOP(known);
  return hintFor(TASK_KEYS, key, known) ?? fullModuleName(key, known);
}

/** The kplay way for an Ansible key found on a playbook (a play), if it is one. */
export function ansiblePlayHint(key: string, known: Known): string | undefined {
  return hintFor(PLAY_KEYS, key, known);
}

/** Keys only a play has: a mapping with one of them, in a list, is a play rather than a task. */
const PLAY_ONLY = ['hosts', 'import_playbook', 'roles', 'pre_tasks', 'post_tasks'];

/**
 * An Ansible playbook, a list of plays, where a kplay playbook or task file was expected: one
 * problem for the file, saying what a kplay playbook is and how to run several, rather than an
 * unknown `hosts` on every play.
 */
export function playListProblem(src: YamlSource, kinds: readonly string[]): Diagnostic | undefined {
  const v = src.value;
  if (!Array.isArray(v)) return undefined;
  const plays = v.flatMap((item, i) => (isPlay(item, kinds) ? [i] : []));
  if (plays.length === 0) return undefined;
  const lines = plays.map((i) => posAt(src, [i]).line);
  const count = plays.length === 1 ? 'a play' : `${plays.length} plays`;
  return {
    code: 'E_KIND',
    severity: 'error',
    pos: posAt(src, [plays[0]!]),
    message: `this is a list of plays (an Ansible playbook, ${count} at line${lines.length > 1 ? 's' : ''} ${lines.join(', ')}); a kplay playbook is one play: a mapping with name, hosts, vars and tasks`,
    hint:
      plays.length === 1
        ? 'Remove the "- " before the play and indent its keys to the left, so the file is the mapping itself; add a name:.'
        : 'Split it: one file per play (each a mapping with name, hosts, vars and tasks), then run them one after another: `kplay run play1.yaml -i INV && kplay run play2.yaml -i INV`, or in a loop: `for p in play-*.yaml; do kplay run "$p" -i INV || break; done`.',
  };
}

// A task that says what it does (a kplay kind) is a task with a stray key, not a play.
function isPlay(item: unknown, kinds: readonly string[]): boolean {
  if (item === null || typeof item !== 'object' || Array.isArray(item)) return false;
  return PLAY_ONLY.some((k) => k in item) && !kinds.some((k) => k in item);
}
