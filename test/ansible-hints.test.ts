// What someone who writes Ansible is told when kplay reads their habits: a list of plays, Ansible's
// task and play keys, fully qualified module names and Jinja filters. Each is checked through
// `checkFile` (what `kplay validate` runs) at its exact file:line:col, and the list of plays also
// through the built CLI, for the exit code and the absence of a stack trace.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { checkFile } from '../src/config/validate-files.js';
import type { Diagnostic } from '../src/errors.js';
import { ansiblePlayHint, ansibleTaskHint } from '../src/config/ansible-hints.js';
import { compileCondition, compileTemplate } from '../src/template/index.js';
import { kplay } from './helpers/cli.js';
import { writeTree } from './helpers/files.js';
import { problemOf } from './helpers/template.js';

function L(...lines: string[]): string {
  return `${lines.join('\n')}\n`;
}

/** Checks one file as `kplay validate` does; positions are printed relative to its folder. */
function problemsOf(file: string, content: string): Diagnostic[] {
  const dir = writeTree({ [file]: content });
  return checkFile(path.join(dir, file)).problems.map((p) => (p.pos ? { ...p, pos: { ...p.pos, file: path.basename(p.pos.file) } } : p));
}

function at(p: Diagnostic): string {
  return p.pos ? `${p.pos.file}:${p.pos.line}:${p.pos.col}` : '?';
}

/** The one problem about `key`, which must exist. */
function about(problems: Diagnostic[], key: string): Diagnostic {
  const found = problems.filter((p) => p.message.includes(`"${key}"`));
  assert.equal(found.length, 1, `one problem about "${key}" in:\n${problems.map((p) => `${at(p)} ${p.message}`).join('\n')}`);
  return found[0]!;
}

const PLAYS = L(
  '- hosts: web', //               1
  '  gather_facts: false', //      2
  '  tasks:', //                   3
  '    - name: a', //              4
  '      command: "true"', //      5
  '- name: second', //             6
  '  hosts: db', //                7
  '  tasks: []', //                8
);

describe('a list of plays (an Ansible playbook)', () => {
  for (const file of ['site.yml', 'site.yaml']) {
    test(`${file}: one problem at the first play, saying what a kplay playbook is and how to split it`, () => {
      const problems = problemsOf(file, PLAYS);
      assert.equal(problems.length, 1, problems.map((p) => p.message).join('\n'));
      const p = problems[0]!;
      assert.equal(p.code, 'E_KIND');
      assert.equal(at(p), `${file}:1:3`);
      assert.match(p.message, /list of plays \(an Ansible playbook, 2 plays at lines 1, 6\); a kplay playbook is one play: a mapping with name, hosts, vars and tasks/);
      assert.match(p.hint!, /one file per play/);
      assert.match(p.hint!, /kplay run play1\.yaml -i INV && kplay run play2\.yaml -i INV/);
      assert.match(p.hint!, /for p in play-\*\.yaml; do kplay run "\$p" -i INV \|\| break; done/);
    });
  }

  test('a single play in a list is told to drop the "- "', () => {
    const problems = problemsOf('one.yaml', L('# a comment', '- hosts: all', '  tasks: []'));
    assert.equal(problems.length, 1);
    assert.equal(at(problems[0]!), 'one.yaml:2:3');
    assert.match(problems[0]!.message, /a play at line 2/);
    assert.match(problems[0]!.hint!, /Remove the "- " before the play/);
  });

  test('a task file whose task has a stray hosts: is still a task file', () => {
    const problems = problemsOf('t.yaml', L('- name: a', '  command: "true"', '  hosts: web'));
    assert.ok(problems.every((p) => p.code !== 'E_KIND'), problems.map((p) => p.message).join('\n'));
    assert.equal(at(about(problems, 'hosts')), 't.yaml:3:3');
  });

  test('the CLI answers `kplay validate` and `kplay plan` of it with exit 4, the position and no stack trace', () => {
    const dir = writeTree({ 'site.yml': PLAYS, 'inv.yaml': L('hosts:', '  web: {address: 10.0.0.1}') });
    for (const args of [['validate', 'site.yml'], ['plan', 'site.yml', '-i', 'inv.yaml']]) {
      const r = kplay(args, { cwd: dir });
      assert.equal(r.code, 4, r.err);
      assert.match(r.err, /^site\.yml:1:3: error: this is a list of plays/m);
      assert.match(r.err, /hint: Split it: one file per play/);
      assert.doesNotMatch(r.err, /unknown key "hosts"|at .*\.js:\d+/);
      assert.match(r.err, /^1 error$/m);
    }
  });
});

/** A playbook whose task 1 (line 4) carries one extra key on line 6. */
function taskWith(key: string, value = 'x'): string {
  return L('name: p', 'hosts: all', 'tasks:', '  - name: t', '    command: "true"', `    ${key}: ${value}`);
}

describe('Ansible keys on a task', () => {
  const cases: [key: string, value: string, hint: RegExp][] = [
    ['delegate_to', 'localhost', /`local: true` runs it on the controller \(delegate_to: localhost\)\. There is no delegation to another host/],
    ['local_action', 'x', /`local: true`/],
    ['block', '[]', /no blocks: put the tasks in a task file and `include:` it/],
    ['rescue', '[]', /no rescue: .*undoes what was done on that host, newest first, with each task's `rollback:`/],
    ['always', '[]', /no always: .*`rollback:`/],
    ['notify', 'restart', /no handlers: `register:` the task .* `when: NAME\.changed`/],
    ['handlers', '[]', /no handlers/],
    ['vars_prompt', '[]', /-e NAME=VALUE or a vars file .*`secrets:`/],
    ['include_tasks', 'f.yaml', /`include: FILE`/],
    ['import_tasks', 'f.yaml', /`include: FILE`/],
    ['include_role', '{name: r}', /no roles: .*`include:`/],
    ['with_items', '[1, 2]', /loop/],
    ['with_dict', '{a: 1}', /loop/],
    ['gather_facts', 'false', /^No facts are gathered: .*`read:`/],
    ['environment', '{A: b}', /`env:` under the kind/],
    ['args', '{chdir: /tmp}', /cwd is Ansible's chdir/],
    ['async', '10', /no async/],
  ];
  for (const [key, value, hint] of cases) {
    test(`${key}: its own hint, at the key`, () => {
      const p = about(problemsOf('pb.yaml', taskWith(key, value)), key);
      assert.equal(p.code, 'E_SCHEMA');
      assert.equal(at(p), 'pb.yaml:6:5');
      assert.match(p.message, new RegExp(`^task "t": unknown key "${key}" \\(an Ansible key\\)$`));
      assert.match(p.hint!, hint);
      assert.doesNotMatch(p.hint!, /Did you mean/);
    });
  }

  test('modules used as the kind: shell, ansible.builtin.* and an unknown module', () => {
    const problems = problemsOf(
      'pb.yaml',
      L(
        'name: p',
        'hosts: all',
        'tasks:',
        '  - name: s', //                                4
        '    shell: echo a | tr a b', //                 5
        '  - name: c', //                                6
        '    ansible.builtin.copy: {src: a, dest: b}', // 7
        '  - name: sh', //                               8
        '    ansible.builtin.shell: echo a', //          9
        '  - name: u', //                                10
        '    ansible.posix.synchronize: {}', //          11
        '  - name: r', //                                12
        '    ansible.builtin.slurp: {src: /etc/hosts}', // 13
      ),
    );
    assert.match(about(problems, 'shell').hint!, /`command` already runs its string through sh/);
    assert.equal(at(about(problems, 'shell')), 'pb.yaml:5:5');
    const copy = about(problems, 'ansible.builtin.copy');
    assert.equal(at(copy), 'pb.yaml:7:5');
    assert.match(copy.hint!, /write `copy:` for ansible\.builtin\.copy/);
    assert.match(about(problems, 'ansible.builtin.shell').hint!, /write `command:` for ansible\.builtin\.shell \(shell: there is no "shell" kind/);
    assert.match(about(problems, 'ansible.posix.synchronize').hint!, /^There is no "synchronize" kind/);
    assert.match(about(problems, 'ansible.builtin.slurp').hint!, /write `read:` for ansible\.builtin\.slurp/);
    // The unknown key already says what is wrong: no "has no kind" besides it.
    assert.ok(problems.every((p) => !/has no kind/.test(p.message)), problems.map((p) => p.message).join('\n'));
  });

  test('on a rollback task too', () => {
    const problems = problemsOf('pb.yaml', L('name: p', 'hosts: all', 'tasks:', '  - name: t', '    command: "true"', '    rollback:', '      shell: echo undo'));
    const p = about(problems, 'shell');
    assert.equal(at(p), 'pb.yaml:7:7');
    assert.match(p.hint!, /`command` already runs its string through sh/);
  });

  test('a kplay key misspelt still gets "did you mean"', () => {
    const p = about(problemsOf('pb.yaml', taskWith('regster', 'out')), 'regster');
    assert.equal(p.hint, 'Did you mean "register"?');
    assert.doesNotMatch(p.message, /Ansible/);
  });

  test('no_log is kplay\'s own key: no problem at all', () => {
    assert.deepEqual(problemsOf('pb.yaml', taskWith('no_log', 'true')), []);
  });
});

describe('Ansible keys on a play', () => {
  const cases: [key: string, hint: RegExp][] = [
    ['gather_facts', /^No facts are gathered/],
    ['vars_prompt', /^Nothing is prompted for/],
    ['handlers', /no handlers/],
    ['roles', /no roles/],
    ['pre_tasks', /put these tasks first/],
    ['remote_user', /host's `user` in the inventory/],
  ];
  for (const [key, hint] of cases) {
    test(`${key}: its own hint at the key, not the list of allowed keys`, () => {
      const p = about(problemsOf('pb.yaml', L('name: p', 'hosts: all', `${key}: x`, 'tasks: []')), key);
      assert.equal(at(p), 'pb.yaml:3:1');
      assert.match(p.message, /unknown key ".*" \(an Ansible key\)/);
      assert.match(p.hint!, hint);
      assert.doesNotMatch(p.hint!, /Allowed keys here/);
    });
  }

  test('an unknown key that is not Ansible\'s still lists the allowed keys', () => {
    const p = about(problemsOf('pb.yaml', L('name: p', 'hosts: all', 'colour: red', 'tasks: []')), 'colour');
    assert.match(p.hint!, /^Allowed keys here: name, description, hosts/);
  });
});

describe('hints follow the schema', () => {
  test('a row whose key the schema knows is never asked about; rows that name another feature ask the schema', () => {
    const none = (): boolean => false;
    const withLoop = (k: string): boolean => k === 'loop';
    assert.match(ansibleTaskHint('with_items', none)!, /there are no loops/);
    assert.match(ansibleTaskHint('with_items', withLoop)!, /write `loop:`/);
    assert.match(ansibleTaskHint('with_fileglob', withLoop)!, /write `loop:`/);
    // A module whose short name is a kind the schema has is pointed at that kind.
    assert.match(ansibleTaskHint('ansible.builtin.lineinfile', (k) => k === 'lineinfile')!, /write `lineinfile:`/);
    assert.match(ansibleTaskHint('ansible.builtin.lineinfile', none)!, /there is no "lineinfile" kind/);
    assert.equal(ansibleTaskHint('colour', none), undefined);
    assert.equal(ansiblePlayHint('colour', none), undefined);
  });
});

describe('Jinja filters', () => {
  test('in a template: the helper written before its value, built from what was written', () => {
    const p = problemOf(() => compileTemplate('echo {{ name | default(\'x\') }}', 'shell'));
    assert.equal(p.message, 'template syntax error: unexpected |');
    assert.deepEqual([p.line, p.col], [1, 14]);
    assert.equal(p.hint, `templates are Handlebars, not Jinja: there are no | filters; write the helper before its arguments: {{default name "x"}} for name | default('x')`);
  });

  test('a filter kplay has no helper for says so', () => {
    const p = problemOf(() => compileTemplate('{{{ out.stdout | frobnicate }}}', 'text'));
    assert.match(p.hint!, /as in \{\{default x "a"\}\} for x \| default\('a'\); kplay has no "frobnicate" helper/);
  });

  test('an Ansible name of a helper kplay calls otherwise', () => {
    assert.match(problemOf(() => compileTemplate('{{ cfg | to_json }}', 'text')).hint!, /\{\{json cfg\}\} for cfg \| to_json/);
    assert.match(problemOf(() => compileTemplate('{{ a | d("b") }}', 'text')).hint!, /\{\{default a "b"\}\} for a \| d\("b"\)/);
  });

  test('in a condition: the helper call in parentheses, at the |', () => {
    const p = problemOf(() => compileCondition('items | join(",")'));
    assert.equal(p.message, 'condition syntax error: unexpected |');
    assert.deepEqual([p.line, p.col], [1, 7]);
    assert.equal(p.hint, 'conditions are Handlebars, not Jinja: there are no | filters; write the helper before its arguments: (join items ",") for items | join(",")');
  });

  test('in a playbook, at the | in the file', () => {
    const problems = problemsOf('pb.yaml', L('name: p', 'hosts: all', 'tasks:', '  - name: t', '    command: echo {{ host.name | upper }}', '    when: ok | bool'));
    assert.equal(problems.length, 2, problems.map((p) => p.message).join('\n'));
    assert.deepEqual(problems.map(at).sort(), ['pb.yaml:5:32', 'pb.yaml:6:14']);
    assert.ok(problems.every((p) => p.code === 'E_TEMPLATE' && /not Jinja/.test(p.hint!)));
  });
});
