// The bad-input suite: what a user sees when a playbook, task file, inventory or command line is wrong.
// Every case runs the built CLI (bin/kplay.cjs) as a user would, in a fresh temp folder, and checks that
// kplay exits 4, points at the exact file:line:col, explains the problem, gives a hint, reports every
// problem of the run at once, and never shows a stack trace.
//
// Positions are computed by hand from the fixtures below: lines and columns are 1-based, and `L(...)`
// puts each argument on its own line, so argument N is line N.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { kplay as runKplay } from './helpers/cli.js';
import type { CliResult } from './helpers/cli.js';


/** One line per argument, with a final newline: argument N is line N of the file. */
function L(...lines: string[]): string {
  return `${lines.join('\n')}\n`;
}

/** An error the run must report. */
interface ExpectedError {
  /** `file:line:col` as printed (relative to the temp folder), or `kplay` for problems with no place in a file. Alternatives allowed. */
  at: string | string[];
  /** The stable code printed as `[E_...]` at the end of the message line; omitted where more than one would be fair. */
  code?: string;
  /** Matched against the message after `: error: `. */
  msg: RegExp;
  /** Matched against this error's `  hint: ` line (which must exist in any case). */
  hint?: RegExp;
}

interface Case {
  name: string;
  files: Record<string, string>;
  args: string[];
  errors: ExpectedError[];
  /** Exactly this many errors in the run (guards against repeated or cascading reports). */
  count?: number;
  /** Text that must not appear on stderr (misleading follow-on errors, library internals). */
  not?: RegExp[];
}

const INV = L(
  'hosts:', //                      1
  '  cp1: {address: 10.0.0.1}', //  2
  '  cp2: {address: 10.0.0.2}', //  3
  'groups:', //                     4
  '  control:', //                  5
  '    hosts: [cp1, cp2]', //       6
);

/** A minimal valid playbook. */
const PB = L(
  'name: Demo', //            1
  'hosts: all', //            2
  'tasks:', //                3
  '  - name: one', //         4
  '    command: echo one', // 5
);

/** The scenario of issue 10: a change with an undo, then a template file (line 9: the template task). */
const MARKER_THEN_TEMPLATE = (src: string): string =>
  L(
    'name: Marker',
    'hosts: all',
    'tasks:',
    '  - name: marker',
    '    command: touch /tmp/m-{{host.name}}',
    '    rollback:',
    '      command: rm -f /tmp/m-{{host.name}}',
    '  - name: render',
    `    template: {src: ${src}, dest: "/tmp/out-{{host.name}}"}`,
  );

const validate = (...files: string[]): string[] => ['validate', ...files];
const run = (pb = 'pb.yaml', ...extra: string[]): string[] => ['run', pb, '-i', 'inv.yaml', '--dry-run', ...extra];

const cases: Case[] = [
  // ---------------------------------------------------------------- YAML syntax
  {
    name: 'YAML: a key indented less than its siblings in a task',
    files: {
      'pb.yaml': L(
        'name: Demo',
        'hosts: all',
        'tasks:',
        '  - name: one',
        '    command: echo one',
        '   register: out', // line 6: "register" starts at col 4, one column left of its siblings
      ),
    },
    args: validate('pb.yaml'),
    errors: [{ at: 'pb.yaml:6:4', code: 'E_YAML', msg: /indent/i, hint: /indent/i }],
  },
  {
    name: 'YAML: a key indented more than its siblings in a task',
    files: {
      'pb.yaml': L(
        'name: Demo',
        'hosts: all',
        'tasks:',
        '  - name: one',
        '      command: echo one', // line 5: "command" at col 7, "name" above at col 5
      ),
    },
    args: validate('pb.yaml'),
    errors: [{ at: 'pb.yaml:5:7', code: 'E_YAML', msg: /indent/i, hint: /indent/i }],
  },
  {
    name: 'YAML: keys of one mapping at different columns',
    files: {
      'pb.yaml': L(
        'name: Demo',
        'hosts: all',
        'tasks:',
        '  - name: one',
        '    command: echo one',
        '  register: out', // line 6: "register" at col 3, under the "-" of the item
      ),
    },
    args: validate('pb.yaml'),
    errors: [{ at: 'pb.yaml:6:3', code: 'E_YAML', msg: /column|indent/i, hint: /indent/i }],
  },
  {
    name: 'YAML: unclosed flow sequence [a, b',
    files: {
      'pb.yaml': L(
        'name: Demo',
        'hosts: [cp1, cp2', // line 2: the "[" that is never closed is at col 8
        'tasks:',
        '  - name: one',
        '    command: echo one',
      ),
    },
    args: validate('pb.yaml'),
    errors: [{ at: 'pb.yaml:2:8', code: 'E_YAML', msg: /\]|unclosed|not closed/i, hint: /clos/i }],
  },
  {
    name: 'YAML: unclosed double quote',
    files: {
      'pb.yaml': L(
        'name: Demo',
        'hosts: all',
        'tasks:',
        '  - name: one',
        '    command: "echo one', // line 5: the opening quote is at col 14
        '  - name: two',
        '    command: echo two',
      ),
    },
    args: validate('pb.yaml'),
    errors: [{ at: 'pb.yaml:5:14', code: 'E_YAML', msg: /quote/i, hint: /quote|clos/i }],
  },
  {
    name: 'YAML: tab used for indentation',
    files: { 'pb.yaml': L('name: Demo', 'hosts: all', 'tasks:', '  - name: one', '\tcommand: echo one') },
    args: validate('pb.yaml'),
    errors: [{ at: 'pb.yaml:5:1', code: 'E_YAML', msg: /tab/i, hint: /spaces/i }],
  },
  {
    name: 'YAML: a %YAML 1.1 directive',
    files: { 'pb.yaml': `%YAML 1.1\n---\n${PB}` },
    args: validate('pb.yaml'),
    errors: [{ at: 'pb.yaml:1:1', code: 'E_YAML', msg: /YAML 1\.2/, hint: /true or false/ }],
  },
  {
    name: 'YAML: duplicate key inside a task',
    files: {
      'pb.yaml': L(
        'name: Demo',
        'hosts: all',
        'tasks:',
        '  - name: one',
        '    command: echo one',
        '    command: echo two', // line 6, col 5: the repeated key
      ),
    },
    args: validate('pb.yaml'),
    errors: [{ at: 'pb.yaml:6:5', code: 'E_YAML', msg: /duplicate key\b.*\bcommand\b/ }],
  },
  {
    name: 'YAML: duplicate key at the top level',
    files: { 'pb.yaml': `${PB}hosts: cp1\n` }, // line 6, col 1
    args: validate('pb.yaml'),
    errors: [{ at: 'pb.yaml:6:1', code: 'E_YAML', msg: /duplicate key\b.*\bhosts\b/ }],
  },
  {
    name: 'YAML: alias bomb (nested anchors past 100 aliases)',
    files: {
      'pb.yaml': L(
        'name: Demo',
        'hosts: all',
        'vars:',
        '  a: &a [x, x, x, x, x, x, x, x, x, x]',
        '  b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]', // line 5: first alias at col 10
        '  c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]',
        '  d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]',
        'tasks:',
        '  - name: one',
        '    command: echo one',
      ),
    },
    args: validate('pb.yaml'),
    errors: [{ at: 'pb.yaml:5:10', code: 'E_YAML', msg: /alias/, hint: /alias|anchor/ }],
  },
  {
    name: 'YAML: more than one document in a file',
    files: { 'pb.yaml': `${PB}---\nname: Two\n` }, // line 6: the second "---"
    args: validate('pb.yaml'),
    errors: [{ at: 'pb.yaml:6:1', code: 'E_YAML', msg: /document/, hint: /---/ }],
    // The yaml library's API is not the user's business.
    not: [/parseAllDocuments/],
  },
  {
    name: 'empty playbook file (validate)',
    files: { 'pb.yaml': '' },
    args: validate('pb.yaml'),
    errors: [{ at: 'pb.yaml:1:1', msg: /empty/i }],
  },
  {
    name: 'empty playbook file (run)',
    files: { 'pb.yaml': '', 'inv.yaml': INV },
    args: run(),
    errors: [{ at: 'pb.yaml:1:1', msg: /empty/i }],
  },
  {
    name: 'empty inventory file',
    files: { 'pb.yaml': PB, 'inv.yaml': '' },
    args: run(),
    errors: [{ at: 'inv.yaml:1:1', msg: /empty/i, hint: /hosts:/ }],
  },

  // ---------------------------------------------------------------- schema: keys
  {
    name: 'unknown top-level key (taks)',
    files: { 'pb.yaml': L('name: Demo', 'hosts: all', 'taks:', '  - name: one', '    command: echo one') },
    args: validate('pb.yaml'),
    errors: [{ at: 'pb.yaml:3:1', code: 'E_SCHEMA', msg: /unknown key "taks"/, hint: /Did you mean "tasks"/ }],
  },
  {
    name: 'unknown key inside a task (comand)',
    files: { 'pb.yaml': L('name: Demo', 'hosts: all', 'tasks:', '  - name: one', '    comand: echo one') },
    args: validate('pb.yaml'),
    errors: [{ at: 'pb.yaml:5:5', code: 'E_SCHEMA', msg: /unknown key "comand"/, hint: /Did you mean "command"/ }],
  },
  {
    name: 'unknown key inside kind args (command: {cmd, cwdd})',
    files: {
      'pb.yaml': L(
        'name: Demo',
        'hosts: all',
        'tasks:',
        '  - name: one',
        '    command: {cmd: ls, cwdd: /}', // "{" at col 14, "cwdd" at col 24
      ),
    },
    args: validate('pb.yaml'),
    errors: [{ at: 'pb.yaml:5:24', code: 'E_SCHEMA', msg: /unknown key "cwdd"/, hint: /Did you mean "cwd"/ }],
  },
  {
    name: 'Ansible habit: shell instead of command',
    files: { 'pb.yaml': L('name: Demo', 'hosts: all', 'tasks:', '  - name: one', '    shell: echo hi') },
    args: validate('pb.yaml'),
    errors: [{ at: 'pb.yaml:5:5', code: 'E_SCHEMA', msg: /unknown key "shell"/, hint: /command/ }],
  },
  {
    name: 'task without a name',
    files: { 'pb.yaml': L('name: Demo', 'hosts: all', 'tasks:', '  - command: echo no name') },
    args: validate('pb.yaml'),
    errors: [{ at: 'pb.yaml:4:5', code: 'E_SCHEMA', msg: /missing required key "name"/, hint: /name:/ }],
  },
  {
    name: 'playbook without tasks',
    files: { 'pb.yaml': L('name: Demo', 'hosts: all') },
    args: validate('pb.yaml'),
    errors: [{ at: 'pb.yaml:1:1', code: 'E_SCHEMA', msg: /missing required key "tasks"/, hint: /tasks:/ }],
  },
  {
    name: 'task written as a plain string',
    files: { 'pb.yaml': L('name: Demo', 'hosts: all', 'tasks:', '  - echo hi') }, // "echo" at col 5
    args: validate('pb.yaml'),
    errors: [{ at: 'pb.yaml:4:5', msg: /object|mapping/ }],
  },

  // ---------------------------------------------------------------- schema: types and values
  {
    name: 'retries given as a word',
    files: { 'pb.yaml': `${PB}    retries: "three"\n` }, // line 6, value at col 14
    args: validate('pb.yaml'),
    errors: [{ at: 'pb.yaml:6:14', code: 'E_SCHEMA', msg: /retries.*integer/ }],
  },
  {
    name: 'top-level values of the wrong type (hosts: 5, serial: 0, tasks: {})',
    files: { 'pb.yaml': L('name: Demo', 'hosts: 5', 'serial: 0', 'tasks: {}') },
    args: validate('pb.yaml'),
    errors: [
      { at: 'pb.yaml:2:8', code: 'E_SCHEMA', msg: /hosts.*string/ },
      { at: 'pb.yaml:3:9', code: 'E_SCHEMA', msg: /serial.*1/ },
      { at: 'pb.yaml:4:8', code: 'E_SCHEMA', msg: /tasks.*(array|list)/ },
    ],
    count: 3,
  },
  {
    name: 'become: yes',
    files: { 'pb.yaml': L('name: Demo', 'hosts: all', 'become: yes', 'tasks:', '  - name: one', '    command: echo one') },
    args: validate('pb.yaml'),
    errors: [{ at: 'pb.yaml:3:9', code: 'E_SCHEMA', msg: /true or false/, hint: /true or false/ }],
  },
  {
    name: 'tags given as a string',
    files: { 'pb.yaml': `${PB}    tags: web\n` }, // line 6, value at col 11
    args: validate('pb.yaml'),
    errors: [{ at: 'pb.yaml:6:11', code: 'E_SCHEMA', msg: /tags.*(array|list)/, hint: /list|\[/ }],
  },
  {
    name: 'unquoted file modes (0644 and 644)',
    files: {
      'pb.yaml': L(
        'name: Demo',
        'hosts: all',
        'tasks:',
        '  - name: octal',
        '    copy: {content: hi, dest: /tmp/x, mode: 0644}', // value of mode at col 45
        '  - name: decimal',
        '    copy:',
        '      content: hi',
        '      dest: /tmp/x',
        '      mode: 644', // line 10, value at col 13
      ),
    },
    args: validate('pb.yaml'),
    errors: [
      { at: 'pb.yaml:5:45', code: 'E_SCHEMA', msg: /quoted octal/, hint: /quot/i },
      { at: 'pb.yaml:10:13', code: 'E_SCHEMA', msg: /quoted octal/, hint: /quot/i },
    ],
    count: 2,
  },
  {
    name: 'bad duration (timeout: 5x)',
    files: { 'pb.yaml': `${PB}    timeout: 5x\n` }, // line 6, value at col 14
    args: validate('pb.yaml'),
    errors: [{ at: 'pb.yaml:6:14', code: 'E_SCHEMA', msg: /duration/, hint: /30s|500ms/ }],
  },
  {
    name: 'invalid register name (1abc)',
    files: { 'pb.yaml': `${PB}    register: 1abc\n` }, // line 6, value at col 15
    args: validate('pb.yaml'),
    errors: [{ at: 'pb.yaml:6:15', code: 'E_SCHEMA', msg: /register.*digit/ }],
  },
  {
    name: 'variable name with a dash is reported once',
    files: { 'pb.yaml': L('name: Demo', 'hosts: all', 'vars:', '  my-var: 1', 'tasks:', '  - name: one', '    command: echo one') },
    args: validate('pb.yaml'),
    errors: [{ at: 'pb.yaml:4:3', code: 'E_SCHEMA', msg: /my-var|name/ }],
    count: 1,
  },
  {
    name: 'port out of range',
    files: {
      'pb.yaml': L('name: Demo', 'hosts: all', 'tasks:', '  - name: tunnel', '    tunnel: {remote_port: 99999}'), // value at col 27
    },
    args: validate('pb.yaml'),
    errors: [{ at: 'pb.yaml:5:27', code: 'E_SCHEMA', msg: /65535/ }],
  },

  // ---------------------------------------------------------------- task kinds
  {
    name: 'task with zero kinds',
    files: { 'pb.yaml': L('name: Demo', 'hosts: all', 'tasks:', '  - name: nothing', '    register: out') },
    args: validate('pb.yaml'),
    errors: [{ at: 'pb.yaml:4:5', code: 'E_TASK', msg: /no kind/, hint: /command/ }],
  },
  {
    name: 'task with two kinds',
    files: {
      'pb.yaml': L(
        'name: Demo',
        'hosts: all',
        'tasks:',
        '  - name: both',
        '    command: echo hi',
        '    copy: {content: hi, dest: /tmp/x}', // line 6: the second kind key at col 5
      ),
    },
    args: validate('pb.yaml'),
    errors: [{ at: 'pb.yaml:6:5', code: 'E_TASK', msg: /2 kinds/ }],
  },
  {
    name: 'rollback task with two kinds',
    files: {
      'pb.yaml': L(
        'name: Demo',
        'hosts: all',
        'tasks:',
        '  - name: undo',
        '    command: echo hi',
        '    rollback:',
        '      command: echo undo',
        '      read: {path: /x, format: json}', // line 8: the second kind key at col 7
      ),
    },
    args: validate('pb.yaml'),
    errors: [{ at: 'pb.yaml:8:7', code: 'E_TASK', msg: /rollback.*2 kinds/ }],
  },
  {
    name: 'copy with both src and content',
    files: {
      'pb.yaml': L(
        'name: Demo',
        'hosts: all',
        'tasks:',
        '  - name: both',
        '    copy:',
        '      src: a.txt', // line 6: the copy mapping starts at col 7
        '      content: hi',
        '      dest: /tmp/x',
      ),
    },
    args: validate('pb.yaml'),
    errors: [{ at: 'pb.yaml:6:7', code: 'E_SCHEMA', msg: /exactly one of src.*content/ }],
  },
  {
    name: 'copy with neither src nor content',
    files: { 'pb.yaml': L('name: Demo', 'hosts: all', 'tasks:', '  - name: neither', '    copy:', '      dest: /tmp/x') },
    args: validate('pb.yaml'),
    errors: [{ at: 'pb.yaml:6:7', code: 'E_SCHEMA', msg: /exactly one of src.*content/ }],
  },
  {
    name: 'wait_for with port and path',
    files: {
      'pb.yaml': L('name: Demo', 'hosts: all', 'tasks:', '  - name: wait', '    wait_for:', '      port: 8080', '      path: /tmp/x'),
    },
    args: validate('pb.yaml'),
    errors: [{ at: 'pb.yaml:6:7', code: 'E_SCHEMA', msg: /exactly one of port, path or process/ }],
  },
  {
    name: 'wait_for.state from Ansible (started)',
    files: {
      'pb.yaml': L('name: Demo', 'hosts: all', 'tasks:', '  - name: wait', '    wait_for:', '      port: 8080', '      state: started'), // value at col 14
    },
    args: validate('pb.yaml'),
    errors: [{ at: 'pb.yaml:7:14', code: 'E_SCHEMA', msg: /"started"/, hint: /open/ }],
  },
  {
    name: 'read.format typo (jsn)',
    files: {
      'pb.yaml': L('name: Demo', 'hosts: all', 'tasks:', '  - name: read', '    read:', '      path: /etc/x', '      format: jsn'), // value at col 15
    },
    args: validate('pb.yaml'),
    errors: [{ at: 'pb.yaml:7:15', code: 'E_SCHEMA', msg: /"jsn"/, hint: /Did you mean "json"/ }],
  },

  // ---------------------------------------------------------------- templates and variables
  {
    name: 'undefined variable in a command (typo)',
    files: {
      'pb.yaml': L(
        'name: Demo',
        'hosts: all',
        'vars:',
        '  node_name: cp',
        'tasks:',
        '  - name: one',
        '    command: echo {{node_nme}}', // value starts at col 14; the variable at 14 + 7 = 21
      ),
      'inv.yaml': INV,
    },
    args: run(),
    errors: [{ at: 'pb.yaml:7:21', code: 'E_TEMPLATE', msg: /undefined variable "node_nme"/, hint: /did you mean "node_name"/i }],
  },
  {
    name: 'undefined variable with no similar name',
    files: {
      'pb.yaml': L('name: Demo', 'hosts: all', 'tasks:', '  - name: one', '    command: echo {{zzz}}'), // col 14 + 7 = 21
      'inv.yaml': INV,
    },
    args: run(),
    // Where can a variable come from? The hint should say (vars, the inventory, -e).
    errors: [{ at: 'pb.yaml:5:21', code: 'E_TEMPLATE', msg: /undefined variable "zzz"/, hint: /vars|-e/ }],
  },
  {
    name: 'undefined nested variable (host.nmae)',
    files: {
      'pb.yaml': L('name: Demo', 'hosts: all', 'tasks:', '  - name: one', '    command: echo {{host.nmae}}'), // col 21
      'inv.yaml': INV,
    },
    args: run(),
    errors: [{ at: 'pb.yaml:5:21', code: 'E_TEMPLATE', msg: /host\.nmae/, hint: /"name"/ }],
  },
  {
    name: 'undefined variable in a multi-line command',
    files: {
      'pb.yaml': L(
        'name: Demo',
        'hosts: all',
        'vars:',
        '  dir: /tmp',
        'tasks:',
        '  - name: multi',
        '    command: |',
        '      set -e',
        '      cd {{dir}}',
        '      ls {{dri}}', // line 10: "ls " at col 7, "{{" at col 10, the variable at col 12
      ),
      'inv.yaml': INV,
    },
    args: run(),
    errors: [{ at: 'pb.yaml:10:12', code: 'E_TEMPLATE', msg: /undefined variable "dri"/, hint: /did you mean "dir"/i }],
  },
  {
    name: 'undefined variable inside an included task file',
    files: {
      'pb.yaml': L('name: Demo', 'hosts: all', 'vars:', '  dir: /tmp', 'tasks:', '  - name: inc', '    include: tasks.yaml'),
      'tasks.yaml': L('- name: inner', '  command: ls {{dirr}}'), // value at col 12, "{{" at col 15, variable at col 17
      'inv.yaml': INV,
    },
    args: run(),
    errors: [{ at: 'tasks.yaml:2:17', code: 'E_TEMPLATE', msg: /undefined variable "dirr"/, hint: /did you mean "dir"/i }],
  },
  {
    name: 'template syntax error: unclosed {{',
    files: {
      'pb.yaml': L('name: Demo', 'hosts: all', 'vars:', '  node_name: cp', 'tasks:', '  - name: one', '    command: echo {{node_name'), // "{{" at col 19
    },
    args: validate('pb.yaml'),
    errors: [{ at: 'pb.yaml:7:19', code: 'E_TEMPLATE', msg: /unclosed \{\{/, hint: /\}\}/ }],
  },
  {
    name: 'undefined variable in when',
    files: {
      'pb.yaml': L(
        'name: Demo',
        'hosts: all',
        'vars:',
        '  enabled: true',
        'tasks:',
        '  - name: one',
        '    command: echo hi',
        '    when: (and enabled ready)', // value at col 11; "ready" at col 24
      ),
      'inv.yaml': INV,
    },
    args: run(),
    errors: [{ at: 'pb.yaml:8:24', code: 'E_TEMPLATE', msg: /undefined variable "ready"/, hint: /vars|-e/ }],
  },
  {
    name: 'template braces in when',
    files: {
      'pb.yaml': L('name: Demo', 'hosts: all', 'vars:', '  enabled: true', 'tasks:', '  - name: one', '    command: echo hi', '    when: "{{enabled}}"'), // "{{" at col 12
    },
    args: validate('pb.yaml'),
    errors: [{ at: 'pb.yaml:8:12', code: 'E_TEMPLATE', msg: /expression, not a template/, hint: /\{\{ \}\}/ }],
  },
  {
    name: 'Ansible-style comparison in until (r.rc == 0)',
    files: {
      'pb.yaml': L(
        'name: Demo',
        'hosts: all',
        'tasks:',
        '  - name: retry',
        '    command: echo',
        '    register: r',
        '    until: r.rc == 0', // value at col 12; "==" at col 17
      ),
    },
    args: validate('pb.yaml'),
    // The hint should show the helper form a user needs, (eq r.rc 0), not the parser's expected-token list.
    errors: [{ at: 'pb.yaml:7:17', code: 'E_TEMPLATE', msg: /syntax/, hint: /\beq\b/ }],
    not: [/\}\}\}\}/],
  },
  {
    name: 'variable cycle in vars',
    files: {
      'pb.yaml': L('name: Demo', 'hosts: all', 'vars:', '  a: "{{b}}"', '  b: "{{a}}"', 'tasks:', '  - name: one', '    command: echo {{a}}'),
      'inv.yaml': INV,
    },
    args: run(),
    errors: [{ at: 'pb.yaml:4:6', code: 'E_VARS', msg: /depends on itself.*a -> b -> a/ }],
    // a and b are defined; calling them "undefined" after reporting the cycle is wrong and confusing.
    not: [/undefined variable "a"/, /undefined variable "b"/],
  },

  // ---------------------------------------------------------------- includes
  {
    name: 'include cycle',
    files: {
      'pb.yaml': L('name: Demo', 'hosts: all', 'tasks:', '  - name: setup', '    include: a.yaml'),
      'a.yaml': L('- name: from a', '  include: b.yaml'),
      'b.yaml': L('- name: from b', '  include: a.yaml'), // value at col 12
      'inv.yaml': INV,
    },
    args: run(),
    errors: [{ at: 'b.yaml:2:12', code: 'E_INCLUDE', msg: /include cycle.*a\.yaml -> b\.yaml -> a\.yaml/, hint: /include/ }],
  },
  {
    name: 'included file does not exist',
    files: {
      'pb.yaml': L('name: Demo', 'hosts: all', 'tasks:', '  - name: setup', '    include: tasks/setup.yaml'), // value at col 14
      'inv.yaml': INV,
    },
    args: run(),
    errors: [{ at: 'pb.yaml:5:14', code: 'E_FILE', msg: /not found.*tasks\/setup\.yaml/, hint: /relative/ }],
  },
  {
    name: 'include with a key it does not take (register)',
    files: {
      'pb.yaml': L('name: Demo', 'hosts: all', 'tasks:', '  - name: setup', '    include: a.yaml', '    register: out'), // the key at col 5
      'a.yaml': L('- name: inner', '  command: echo inner'),
      'inv.yaml': INV,
    },
    args: run(),
    // Like every other "key not allowed here" error, it points at the key to remove, not at its value.
    errors: [{ at: 'pb.yaml:6:5', code: 'E_INCLUDE', msg: /include.*"register"/, hint: /register/ }],
  },
  {
    name: 'include of a playbook instead of a task file',
    files: {
      'pb.yaml': L('name: Demo', 'hosts: all', 'tasks:', '  - name: setup', '    include: other.yaml'), // value at col 14
      'other.yaml': PB,
      'inv.yaml': INV,
    },
    args: run(),
    // The mistake is the include line; "must be an array" at other.yaml:1:1 would have the user rewrite a good playbook.
    errors: [{ at: 'pb.yaml:5:14', msg: /task/, hint: /list|task file/ }],
  },

  // ---------------------------------------------------------------- inventories and host selection
  {
    name: 'unknown host in playbook hosts',
    files: { 'pb.yaml': L('name: Demo', 'hosts: contrl', 'tasks:', '  - name: one', '    command: echo one'), 'inv.yaml': INV },
    args: run(),
    errors: [{ at: 'pb.yaml:2:8', code: 'E_INVENTORY', msg: /no host or group named "contrl"/, hint: /Did you mean "control"/ }],
  },
  {
    name: 'unknown host in a hosts list',
    files: {
      'pb.yaml': L('name: Demo', 'hosts:', '  - cp1', '  - cp9', 'tasks:', '  - name: one', '    command: echo one'), // "cp9" at 4:5
      'inv.yaml': INV,
    },
    args: run(),
    errors: [{ at: 'pb.yaml:4:5', code: 'E_INVENTORY', msg: /no host or group named "cp9"/, hint: /cp1|cp2/ }],
  },
  {
    name: 'unknown group in --limit',
    files: { 'pb.yaml': PB, 'inv.yaml': INV },
    args: ['plan', 'pb.yaml', '-i', 'inv.yaml', '--limit', 'wrkers'],
    errors: [{ at: 'kplay', code: 'E_INVENTORY', msg: /--limit.*"wrkers"/, hint: /control/ }],
  },
  {
    name: 'max_hosts: 1 against 2 hosts',
    files: { 'pb.yaml': L('name: Demo', 'hosts: all', 'max_hosts: 1', 'tasks:', '  - name: one', '    command: echo one'), 'inv.yaml': INV },
    args: run(),
    errors: [{ at: ['pb.yaml:2:8', 'pb.yaml:3:12'], code: 'E_INVENTORY', msg: /at most 1 host/, hint: /--limit/ }],
  },
  {
    name: 'group lists an undefined host',
    files: {
      'pb.yaml': PB,
      'inv.yaml': L('hosts:', '  cp1: {address: 10.0.0.1}', '  cp2: {address: 10.0.0.2}', 'groups:', '  workers:', '    hosts: [cp1, cp3]'), // "cp3" at col 18
    },
    args: run(),
    errors: [{ at: 'inv.yaml:6:18', code: 'E_INVENTORY', msg: /"workers".*"cp3"/, hint: /cp1|cp2/ }],
  },
  {
    name: 'inventory that is a list',
    files: { 'pb.yaml': PB, 'inv.yaml': L('- cp1', '- cp2') },
    args: run(),
    errors: [{ at: 'inv.yaml:1:1', code: 'E_SCHEMA', msg: /mapping.*not a list/, hint: /hosts:/ }],
  },
  {
    name: 'inventory that is a scalar',
    files: { 'pb.yaml': PB, 'inv.yaml': L('cp1') },
    args: run(),
    errors: [{ at: 'inv.yaml:1:1', code: 'E_SCHEMA', msg: /mapping/, hint: /hosts:/ }],
  },
  {
    name: 'unknown key under a host (adress)',
    files: { 'pb.yaml': PB, 'inv.yaml': L('hosts:', '  cp1:', '    adress: 10.0.0.1') },
    args: run(),
    errors: [{ at: 'inv.yaml:3:5', code: 'E_SCHEMA', msg: /unknown key "adress"/, hint: /Did you mean "address"/ }],
  },
  {
    name: 'hostKeyChecking: no (YAML 1.2 string)',
    files: { 'inv.yaml': L('hosts:', '  cp1:', '    hostKeyChecking: no') }, // value at col 22
    args: validate('inv.yaml'),
    errors: [{ at: 'inv.yaml:3:22', code: 'E_SCHEMA', msg: /"no"/, hint: /off/ }],
  },
  {
    name: 'group named all',
    files: { 'inv.yaml': L('hosts:', '  cp1: {}', 'groups:', '  all:', '    hosts: [cp1]') },
    args: validate('inv.yaml'),
    errors: [{ at: 'inv.yaml:4:3', code: 'E_INVENTORY', msg: /"all" is reserved/ }],
  },

  // ---------------------------------------------------------------- files and the command line
  {
    name: 'missing playbook file',
    files: { 'inv.yaml': INV },
    args: run('./missing.yaml'),
    errors: [{ at: ['missing.yaml:1:1', 'kplay'], code: 'E_FILE', msg: /not found.*missing\.yaml/ }],
  },
  {
    name: 'validate a missing file',
    files: {},
    args: validate('missing.yaml'),
    errors: [{ at: ['missing.yaml:1:1', 'kplay'], code: 'E_FILE', msg: /not found.*missing\.yaml/ }],
  },
  {
    name: 'validate a folder',
    files: { 'somedir/keep.txt': '' },
    args: validate('somedir'),
    errors: [{ at: ['somedir:1:1', 'kplay'], code: 'E_FILE', msg: /folder/ }],
  },
  {
    name: 'missing inventory file',
    files: { 'pb.yaml': PB },
    args: ['run', 'pb.yaml', '-i', 'nope.yaml', '--dry-run'],
    errors: [{ at: ['nope.yaml:1:1', 'kplay'], code: 'E_FILE', msg: /not found.*nope\.yaml/ }],
  },
  {
    name: '-e without = (-e foo)',
    files: { 'pb.yaml': PB, 'inv.yaml': INV },
    args: run('pb.yaml', '-e', 'foo'),
    errors: [{ at: 'kplay', code: 'E_VARS', msg: /-e "foo".*KEY=VALUE/, hint: /-e/ }],
  },
  {
    name: '-e @vars.yaml where the file is a list',
    files: { 'pb.yaml': PB, 'inv.yaml': INV, 'vars.yaml': L('- a', '- b') },
    args: run('pb.yaml', '-e', '@vars.yaml'),
    errors: [{ at: 'vars.yaml:1:1', code: 'E_VARS', msg: /-e @vars\.yaml.*mapping/ }],
  },
  {
    name: '-e @file that does not exist',
    files: { 'pb.yaml': PB, 'inv.yaml': INV },
    args: run('pb.yaml', '-e', '@nofile.yaml'),
    errors: [{ at: ['nofile.yaml:1:1', 'kplay'], code: 'E_FILE', msg: /not found.*nofile\.yaml/ }],
  },
  {
    name: 'shipped-playbook name that does not exist (nope.yaml)',
    files: { 'inv.yaml': INV },
    args: run('nope.yaml'),
    errors: [{ at: 'kplay', code: 'E_PLAYBOOK', msg: /no playbook "nope\.yaml"/, hint: /inspect-node|kplay list/ }],
  },
  {
    name: 'shipped-playbook name with a typo (inspect-nod)',
    files: { 'inv.yaml': INV },
    args: run('inspect-nod'),
    errors: [{ at: 'kplay', code: 'E_PLAYBOOK', msg: /no playbook "inspect-nod"/, hint: /Did you mean "inspect-node/ }],
  },

  // ---------------------------------------------------------------- several problems in one run
  {
    name: 'several problems in one file are all reported',
    files: {
      'pb.yaml': L(
        'name: Demo',
        'hosts: all',
        'tasks:',
        '  - name: one',
        '    comand: echo one', //                             5:5
        '  - name: two',
        '    copy: {content: hi, dest: /tmp/x, mode: 644}', // 7:45
        '  - name: three',
        '    command: echo three',
        '    register: 3x', //                                10:15
        '  - name: four',
        '    command: echo four',
        '    timeout: soon', //                               13:14
      ),
    },
    args: validate('pb.yaml'),
    errors: [
      { at: 'pb.yaml:5:5', code: 'E_SCHEMA', msg: /unknown key "comand"/, hint: /"command"/ },
      { at: 'pb.yaml:7:45', code: 'E_SCHEMA', msg: /quoted octal/ },
      { at: 'pb.yaml:10:15', code: 'E_SCHEMA', msg: /register/ },
      { at: 'pb.yaml:13:14', code: 'E_SCHEMA', msg: /duration/ },
    ],
    count: 4,
  },
  {
    name: 'problems in the playbook and in the inventory are reported together',
    files: {
      'pb.yaml': L('name: Demo', 'hosts: all', 'tasks:', '  - name: one', '    comand: echo one'),
      'inv.yaml': L('hosts:', '  cp1:', '    adress: 10.0.0.1'),
    },
    args: run(),
    errors: [
      { at: 'pb.yaml:5:5', code: 'E_SCHEMA', msg: /unknown key "comand"/ },
      { at: 'inv.yaml:3:5', code: 'E_SCHEMA', msg: /unknown key "adress"/ },
    ],
    count: 2,
  },
  {
    name: 'validate several files reports every file',
    files: {
      'pb.yaml': L('name: Demo', 'hosts: all', 'tasks:', '  - name: one', '    comand: echo one'),
      'inv.yaml': L('hosts:', '  cp1:', '    adress: 10.0.0.1'),
      'tasks.yaml': L('- name: t', '  command: echo {{x'), // "{{" at col 17
    },
    args: validate('pb.yaml', 'inv.yaml', 'tasks.yaml'),
    errors: [
      { at: 'pb.yaml:5:5', code: 'E_SCHEMA', msg: /unknown key "comand"/ },
      { at: 'inv.yaml:3:5', code: 'E_SCHEMA', msg: /unknown key "adress"/ },
      { at: 'tasks.yaml:2:17', code: 'E_TEMPLATE', msg: /unclosed \{\{/ },
    ],
    count: 3,
  },
  {
    name: 'CRLF line endings keep exact columns',
    files: {
      'pb.yaml': L('name: Demo', 'hosts: all', 'vars:', '  node_name: cp', 'tasks:', '  - name: one', '    command: echo {{node_nme}}').replace(/\n/g, '\r\n'),
      'inv.yaml': INV,
    },
    args: run(),
    errors: [{ at: 'pb.yaml:7:21', code: 'E_TEMPLATE', msg: /undefined variable "node_nme"/, hint: /did you mean "node_name"/i }],
  },
  // ---------------------------------------------------------------- vars files
  {
    name: 'a vars file with a misspelt key is checked as a vars file, and the key named',
    files: { 'v.yaml': L('vars:', '  a: 1', 'var_description: {a: x}') },
    args: validate('v.yaml'),
    errors: [{ at: 'v.yaml:3:1', code: 'E_SCHEMA', msg: /unknown key "var_description"/, hint: /var_descriptions/ }],
    count: 1,
  },
  // ---------------------------------------------------------------- template files (template: src)
  ...(['validate', 'run --dry-run'] as const).map((how) => ({
    name: `${how}: an undefined variable in a template file is found before anything runs`,
    files: { 't.hbs': 'x = {{nope}}\n', 'pb.yaml': MARKER_THEN_TEMPLATE('t.hbs'), 'inv.yaml': INV },
    args: how === 'validate' ? validate('pb.yaml') : run(),
    errors: [{ at: 't.hbs:1:7', code: 'E_TEMPLATE', msg: /^undefined variable "nope"/, hint: /define "nope" under vars/i }],
    count: 1,
  })),
  ...(['validate', 'run --dry-run'] as const).map((how) => ({
    name: `${how}: a Jinja filter in a template file`,
    files: { 'f.hbs': L('a = 1', "y = {{ x | default('a') }}"), 'pb.yaml': MARKER_THEN_TEMPLATE('f.hbs'), 'inv.yaml': INV },
    args: how === 'validate' ? validate('pb.yaml') : run(),
    errors: [{ at: 'f.hbs:2:10', code: 'E_TEMPLATE', msg: /template syntax error: unexpected \|/, hint: /Handlebars, not Jinja.*\{\{default x "a"\}\}/ }],
    count: 1,
  })),
  ...(['validate', 'run --dry-run'] as const).map((how) => ({
    name: `${how}: a template file that does not exist, reported at src:`,
    files: { 'pb.yaml': MARKER_THEN_TEMPLATE('missing.hbs'), 'inv.yaml': INV },
    args: how === 'validate' ? validate('pb.yaml') : run(),
    // Line 9 is the template task; its src value starts at col 21.
    errors: [{ at: 'pb.yaml:9:21', code: 'E_FILE', msg: /file not found: missing\.hbs/, hint: /relative to the file that names them/ }],
    count: 1,
  })),
  {
    name: 'validate: a template file named by a task file on its own, relative to that file (syntax only)',
    files: {
      'lib/tasks.yaml': L('- name: render', '  template: {src: t.hbs, dest: /tmp/x}', '- name: gone', '  template: {src: gone.hbs, dest: /tmp/y}'),
      // A variable is no error here: the playbook that includes the file may define it.
      'lib/t.hbs': L('{{fine}}', '{{#if x}}'),
    },
    args: validate('lib/tasks.yaml'),
    errors: [
      { at: 'lib/t.hbs:2:1', code: 'E_TEMPLATE', msg: /\{\{#if\}\} is never closed/ },
      { at: 'lib/tasks.yaml:4:19', code: 'E_FILE', msg: /file not found: lib\/gone\.hbs/ },
    ],
    count: 2,
  },
  {
    name: 'validate: a variable in vars: that reads an undefined one',
    files: { 'pb.yaml': L('name: Demo', 'hosts: all', 'vars: {a: "{{nope}}"}', 'tasks:', '  - name: one', '    command: echo {{a}}') },
    args: validate('pb.yaml'),
    errors: [{ at: 'pb.yaml:3:14', code: 'E_TEMPLATE', msg: /variable "a": undefined variable "nope"/, hint: /kplay validate PLAYBOOK INVENTORY/ }],
    count: 1,
  },
  {
    name: 'a playbook naming a vars file that does not exist',
    files: { 'pb.yaml': L('name: Demo', 'hosts: all', 'vars_files: [lib/shared.yaml]', 'tasks:', '  - name: one', '    command: echo one'), 'inv.yaml': INV },
    args: run(),
    errors: [{ at: 'pb.yaml:3:14', code: 'E_FILE', msg: /file not found: lib\/shared\.yaml/, hint: /relative to the file that names them/ }],
    count: 1,
  },
  {
    name: 'a port that a template (here an -e value) renders to something else',
    files: {
      'pb.yaml': L('name: Demo', 'hosts: all', 'vars: {p: 2345}', 'tasks:', '  - name: fwd', '    tunnel: {remote_port: "{{p}}"}', '  - name: wait', '    wait_for: {port: "{{p}}"}'),
      'inv.yaml': INV,
    },
    args: run('pb.yaml', '-e', 'p=23x5'),
    errors: [
      { at: 'pb.yaml:6:27', code: 'E_TEMPLATE', msg: /remote_port: "23x5" is not a port \(a number from 1 to 65535\)/, hint: /check the variables it reads/ },
      { at: 'pb.yaml:8:22', code: 'E_TEMPLATE', msg: /port: "23x5" is not a port/, hint: /check the variables it reads/ },
    ],
    count: 2,
  },
  // ---------------------------------------------------------------- file and lineinfile
  {
    name: 'lineinfile: a regexp written in the playbook that does not compile, and a Python-only one (validate)',
    files: {
      'pb.yaml': L(
        'name: Demo',
        'hosts: all',
        'tasks:',
        '  - name: edit',
        '    lineinfile: {path: /etc/x.conf, regexp: "^port=(", line: port=1}', // 5:45
        '  - name: named',
        '    lineinfile:',
        '      path: /etc/x.conf',
        "      regexp: '^(?P<k>port)='", // 9:15
        '      line: port=2',
      ),
    },
    args: validate('pb.yaml'),
    errors: [
      { at: 'pb.yaml:5:45', code: 'E_TASK', msg: /regexp: "\^port=\(" is not a regular expression kplay can use: .*Unterminated group.*JavaScript's syntax/, hint: /correct it/ },
      { at: 'pb.yaml:9:15', code: 'E_TASK', msg: /Python's \(\?P<name>\.\.\.\) is written \(\?<name>\.\.\.\) in JavaScript/, hint: /correct it/ },
    ],
    count: 2,
  },
  {
    name: 'lineinfile: an insertafter that does not compile stops the dry run before connecting',
    files: { 'pb.yaml': L('name: Demo', 'hosts: all', 'tasks:', '  - name: edit', '    lineinfile: {path: /etc/x, line: a, insertafter: "[a-"}'), 'inv.yaml': INV },
    args: run(),
    errors: [{ at: 'pb.yaml:5:54', code: 'E_TASK', msg: /insertafter: "\[a-" is not a regular expression/, hint: /correct it/ }],
    count: 1,
  },
  {
    name: 'lineinfile: a regexp that a template renders to something that does not compile',
    files: { 'pb.yaml': L('name: Demo', 'hosts: all', 'vars: {key: port}', 'tasks:', '  - name: edit', '    lineinfile: {path: /etc/x, regexp: "^{{key}}=", line: a}'), 'inv.yaml': INV },
    args: run('pb.yaml', '-e', 'key=a)'),
    errors: [{ at: 'pb.yaml:6:40', code: 'E_TEMPLATE', msg: /regexp: "\^a\)=" is not a regular expression kplay can use/, hint: /check the variables it reads/ }],
    count: 1,
  },
  {
    name: 'lineinfile: insertafter with insertbefore, and backrefs without regexp',
    files: {
      'pb.yaml': L(
        'name: Demo',
        'hosts: all',
        'tasks:',
        '  - name: both',
        '    lineinfile: {path: /etc/x, line: a, insertafter: a, insertbefore: b}', // 5:17
        '  - name: backrefs',
        '    lineinfile: {path: /etc/x, line: a, backrefs: true}', // 7:17
      ),
    },
    args: validate('pb.yaml'),
    errors: [
      { at: 'pb.yaml:5:17', code: 'E_SCHEMA', msg: /at most one of insertafter or insertbefore/ },
      { at: 'pb.yaml:7:17', code: 'E_SCHEMA', msg: /must have property regexp when property backrefs is present/ },
    ],
    count: 2,
  },
  {
    name: 'file: recurse is refused with what to do instead',
    files: { 'pb.yaml': L('name: Demo', 'hosts: all', 'tasks:', '  - name: perms', '    file: {path: /srv/x, mode: "0755", recurse: true}') },
    args: validate('pb.yaml'),
    errors: [{ at: 'pb.yaml:5:49', code: 'E_SCHEMA', msg: /does not recurse .*use a command task \(chmod -R, chown -R\) with a rollback/ }],
    count: 1,
  },
];

// ---------------------------------------------------------------- harness

const tempDirs: string[] = [];
after(() => {
  for (const d of tempDirs) fs.rmSync(d, { recursive: true, force: true });
});

function workdir(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kplay-bad-'));
  tempDirs.push(dir);
  for (const [name, content] of Object.entries(files)) {
    const p = path.join(dir, name);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, content);
  }
  return dir;
}

const kplay = (cwd: string, args: string[]): CliResult => runKplay(args, { cwd, timeoutMs: 30_000 });

/** One reported problem: its header line (`where: severity: message`) and the lines under it. */
interface Block {
  at: string;
  severity: string;
  message: string;
  lines: string[];
}

const HEADER = /^(.+?): (error|warning): (.*)$/;

function blocks(stderr: string): Block[] {
  const out: Block[] = [];
  for (const line of stderr.split('\n')) {
    const m = HEADER.exec(line);
    if (m && !line.startsWith(' ')) out.push({ at: m[1]!, severity: m[2]!, message: m[3]!, lines: [] });
    else out.at(-1)?.lines.push(line);
  }
  return out;
}

function assertNoCrash(r: CliResult): void {
  for (const [stream, text] of [['stderr', r.err], ['stdout', r.out]] as const) {
    assert.doesNotMatch(text, /^\s+at .+\(.*:\d+:\d+\)$/m, `stack trace on ${stream}:\n${text}`);
    assert.doesNotMatch(text, /^\s+at (file:|\/|node:).*:\d+:\d+$/m, `stack trace on ${stream}:\n${text}`);
    assert.ok(!text.includes('node:internal'), `node:internal on ${stream}:\n${text}`);
    assert.ok(!/internal error/i.test(text), `"internal error" on ${stream}:\n${text}`);
  }
}

function checkCase(c: Case, r: CliResult): void {
  const shown = `\n--- stderr ---\n${r.err}--- stdout ---\n${r.out}`;
  assertNoCrash(r);
  assert.equal(r.code, 4, `exit code${shown}`);
  const found = blocks(r.err);
  for (const e of c.errors) {
    const at = Array.isArray(e.at) ? e.at : [e.at];
    const block = found.find((b) => b.severity === 'error' && at.includes(b.at) && e.msg.test(b.message));
    assert.ok(block, `expected "${at.join('" or "')}: error: " with a message matching ${e.msg}${shown}`);
    if (e.code) assert.ok(block.message.endsWith(`[${e.code}]`), `expected code [${e.code}] on "${block.message}"${shown}`);
    const hint = block.lines.find((l) => l.startsWith('  hint: '));
    assert.ok(hint, `no "  hint: " line under "${block.at}: error: ${block.message}"${shown}`);
    if (e.hint) assert.match(hint.slice('  hint: '.length), e.hint, `hint of "${block.at}: error: ${block.message}"${shown}`);
  }
  if (c.count !== undefined) {
    const errors = found.filter((b) => b.severity === 'error');
    assert.equal(errors.length, c.count, `number of errors reported${shown}`);
  }
  for (const re of c.not ?? []) assert.doesNotMatch(r.err, re, `stderr must not match ${re}${shown}`);
}

describe('bad input: exit 4, exact file:line:col, a message and a hint, no stack trace', () => {
  for (const c of cases) {
    test(c.name, () => {
      const dir = workdir(c.files);
      checkCase(c, kplay(dir, c.args));
    });
  }

  test('an unknown CLI flag (--dryrun)', () => {
    const dir = workdir({ 'pb.yaml': PB, 'inv.yaml': INV });
    const r = kplay(dir, ['run', 'pb.yaml', '-i', 'inv.yaml', '--dryrun']);
    const shown = `\n--- stderr ---\n${r.err}`;
    assertNoCrash(r);
    assert.equal(r.code, 4, `exit code${shown}`);
    assert.match(r.err, /error: .*--dryrun/, `names the flag${shown}`);
    assert.match(r.err, /--dry-run/, `suggests --dry-run${shown}`);
    assert.match(r.err, /hint: /, `gives a hint${shown}`);
  });

});

describe('--output json on failure', () => {
  test('validate prints every problem as parseable JSON on stdout', () => {
    const dir = workdir({
      'pb.yaml': L(
        'name: Demo',
        'hosts: all',
        'tasks:',
        '  - name: one',
        '    comand: echo one', //                  5:5  E_SCHEMA
        '  - name: two',
        '    command: echo two',
        '    register: 2x', //                      8:15 E_SCHEMA
      ),
      'tabs.yaml': L('name: Demo', 'hosts: all', 'tasks:', '  - name: one', '\tcommand: echo one'), // 5:1 E_YAML
      'good.yaml': PB,
    });
    const r = kplay(dir, ['validate', '--output', 'json', 'pb.yaml', 'tabs.yaml', 'good.yaml']);
    assertNoCrash(r);
    assert.equal(r.code, 4, `exit code\n${r.err}`);
    let parsed: unknown;
    assert.doesNotThrow(() => {
      parsed = JSON.parse(r.out);
    }, `stdout is not JSON:\n${r.out}`);
    assert.ok(Array.isArray(parsed), 'an array with one entry per file');
    type Problem = { code: string; severity: string; message: string; hint?: string; pos?: { file: string; line: number; col: number } };
    const results = parsed as { file: string; kind?: string; problems: Problem[] }[];
    assert.deepEqual(
      results.map((x) => x.file),
      ['pb.yaml', 'tabs.yaml', 'good.yaml'],
    );
    const at = (file: string, line: number, col: number, code: string): void => {
      const entry = results.find((x) => x.file === file);
      assert.ok(entry, `no entry for ${file}`);
      const p = entry.problems.find((q) => q.pos?.file === file && q.pos.line === line && q.pos.col === col && q.code === code);
      assert.ok(p, `no ${code} problem at ${file}:${line}:${col} in ${JSON.stringify(entry.problems, null, 2)}`);
      assert.equal(p.severity, 'error');
      assert.equal(typeof p.message, 'string');
      assert.ok(p.message.length > 0);
      assert.equal(typeof p.hint, 'string', `problem at ${file}:${line}:${col} has no hint`);
    };
    at('pb.yaml', 5, 5, 'E_SCHEMA');
    at('pb.yaml', 8, 15, 'E_SCHEMA');
    at('tabs.yaml', 5, 1, 'E_YAML');
    assert.equal(results.find((x) => x.file === 'pb.yaml')?.problems.length, 2);
    assert.deepEqual(results.find((x) => x.file === 'good.yaml')?.problems, []);
    // Nothing meant for people is mixed into the machine-readable run.
    assert.equal(r.err, '');
  });

  test('run --dry-run prints {error: {code, problems}} on stdout', () => {
    const dir = workdir({
      'pb.yaml': L('name: Demo', 'hosts: all', 'tasks:', '  - name: one', '    command: echo {{zzz}}'), // 5:21
      'inv.yaml': INV,
    });
    const r = kplay(dir, ['run', 'pb.yaml', '-i', 'inv.yaml', '--dry-run', '--output', 'json']);
    assertNoCrash(r);
    assert.equal(r.code, 4, `exit code\n${r.err}`);
    const parsed = JSON.parse(r.out) as { error: { code: string; problems: { code: string; pos?: { file: string; line: number; col: number } }[] } };
    assert.equal(parsed.error.code, 'E_TEMPLATE');
    assert.deepEqual(parsed.error.problems.map((p) => [p.code, p.pos]), [['E_TEMPLATE', { file: 'pb.yaml', line: 5, col: 21 }]]);
  });
});
