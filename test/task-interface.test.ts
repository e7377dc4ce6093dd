// Task files that declare what they need and provide (needs/provides), checked at each include by
// `kplay validate` and before every plan; shipped files named `kplay:lib/...` from anywhere, and
// task_dir, the folder of the file a task is written in.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import type { Diagnostic } from '../src/errors.js';
import { InvalidInputError, plan, validate } from '../src/index.js';
import { HELPERS } from '../src/template/helpers.js';
import { REPO_ROOT, writeTree } from './helpers/files.js';
import { readmeEtcdPlaybook } from './helpers/readme-section.js';

const INVENTORY = 'defaults: {user: root}\nhosts:\n  n1: {address: 127.0.0.2}\n  n2: {address: 127.0.0.3, vars: {from_inventory: yes}}\n';

/** A task file that reads a variable and a registered result, and provides one of its own. */
const USES = `# yaml-language-server: $schema=../schemas/tasks.schema.json
needs:
  vars: [target]
  registered: [binary_path]
provides: [checked]
tasks:
- name: Use them
  command: test -x {{binary_path.stdout}} && echo {{target}}
  register: checked
`;

/** A task file that registers binary_path, as a replaceable build step would. */
const MAKES = `needs: {vars: [source]}
provides: [binary_path]
tasks:
- name: Make it
  command: echo {{source}}/bin
  register: binary_path
`;

function playbook(vars: string, tasks: string): string {
  return `name: t\nhosts: all\nvars: {${vars}}\ntasks:\n${tasks}`;
}

function errorsOf(files: Record<string, string>, check = 'pb.yaml'): Diagnostic[] {
  const dir = writeTree(files);
  return validate([path.join(dir, check)]).flatMap((r) => r.problems).filter((p) => p.severity === 'error');
}

function planErrors(files: Record<string, string>, extraVars: string[] = [], limit?: string): Diagnostic[] {
  const dir = writeTree({ ...files, 'inv.yaml': INVENTORY });
  try {
    plan({ playbook: path.join(dir, 'pb.yaml'), inventory: path.join(dir, 'inv.yaml'), extraVars, limit });
    return [];
  } catch (err) {
    if (err instanceof InvalidInputError) return err.problems.filter((p) => p.severity === 'error');
    throw err;
  }
}

const MAKE_THEN_USE = '  - name: build\n    include: lib/makes.yaml\n  - name: use\n    include: lib/uses.yaml\n';

describe('needs and provides of task files', () => {
  test('a missing variable is an error at the include: its file:line:col, the variable and the file that needs it', () => {
    const errs = errorsOf({ 'pb.yaml': playbook('source: /src', MAKE_THEN_USE), 'lib/makes.yaml': MAKES, 'lib/uses.yaml': USES });
    assert.equal(errs.length, 1, JSON.stringify(errs));
    assert.equal(errs[0]!.code, 'E_NEEDS');
    assert.match(errs[0]!.message, /^lib\/uses\.yaml needs the variable "target", which is not defined where it is included$/);
    assert.deepEqual([path.basename(errs[0]!.pos!.file), errs[0]!.pos!.line, errs[0]!.pos!.col], ['pb.yaml', 8, 14]);
    assert.match(errs[0]!.hint!, /-e target=VALUE/);
  });

  test('a registered result no earlier task registers is an error at the include, and the hint names the file that provides it', () => {
    const useThenMake = '  - name: use\n    include: lib/uses.yaml\n  - name: build\n    include: lib/makes.yaml\n';
    const errs = errorsOf({ 'pb.yaml': playbook('source: /src, target: t', useThenMake), 'lib/makes.yaml': MAKES, 'lib/uses.yaml': USES });
    assert.equal(errs.length, 1, JSON.stringify(errs));
    assert.match(errs[0]!.message, /^lib\/uses\.yaml needs the registered result "binary_path", which no task before this include registers$/);
    assert.equal(errs[0]!.pos!.line, 6);
    assert.match(errs[0]!.hint!, /Include lib\/makes\.yaml \(it provides "binary_path"\) before this include/);
  });

  test('satisfied by an earlier include, by the playbook\'s vars, vars_files and the include\'s vars', () => {
    const lib = { 'lib/makes.yaml': MAKES, 'lib/uses.yaml': USES };
    assert.deepEqual(errorsOf({ 'pb.yaml': playbook('source: /src, target: t', MAKE_THEN_USE), ...lib }), []);
    const viaVarsFile = `name: t\nhosts: all\nvars_files: [defaults.yaml]\ntasks:\n${MAKE_THEN_USE}`;
    assert.deepEqual(errorsOf({ 'pb.yaml': viaVarsFile, 'defaults.yaml': 'vars: {source: /src, target: t}\n', ...lib }), []);
    const viaInclude = '  - name: build\n    include: {file: lib/makes.yaml, vars: {source: /src}}\n  - name: use\n    include: {file: lib/uses.yaml, vars: {target: t}}\n';
    assert.deepEqual(errorsOf({ 'pb.yaml': playbook('other: 1', viaInclude), ...lib }), []);
    // A task of the playbook's own may register what a lib file needs, and a variable may stand in for it.
    const ownBuild = '  - name: my build\n    command: echo /my/bin\n    register: binary_path\n  - name: use\n    include: lib/uses.yaml\n';
    assert.deepEqual(errorsOf({ 'pb.yaml': playbook('target: t', ownBuild), ...lib }), []);
    assert.deepEqual(errorsOf({ 'pb.yaml': playbook('target: t, binary_path: {stdout: /my/bin}', '  - name: use\n    include: lib/uses.yaml\n'), ...lib }), []);
  });

  test('satisfied by -e and by the inventory when a plan is built; a host the inventory leaves without it is named', () => {
    const files = { 'pb.yaml': playbook('source: /src', MAKE_THEN_USE), 'lib/makes.yaml': MAKES, 'lib/uses.yaml': USES };
    const missing = planErrors(files);
    assert.equal(missing.length, 1);
    assert.match(missing[0]!.message, /needs the variable "target"/);
    assert.deepEqual(planErrors(files, ['target=t']), []);
    // A lib file that needs a variable the inventory gives n2 but not n1.
    const needsInv = { ...files, 'lib/uses.yaml': USES.replace('vars: [target]', 'vars: [from_inventory]').replace('{{target}}', '{{from_inventory}}') };
    assert.deepEqual(planErrors(needsInv, [], 'n2'), []);
    const onN1 = planErrors(needsInv, [], 'n1');
    assert.equal(onN1.length, 1);
    assert.match(onN1[0]!.message, /needs the variable "from_inventory"/);
    const both = planErrors(needsInv, [], 'all');
    assert.match(both[0]!.message, /\(on host n1\)$/);
  });

  test('provides that no task registers is an error at the provides entry', () => {
    const broken = MAKES.replace('register: binary_path', 'register: something_else');
    const errs = errorsOf({ 'pb.yaml': playbook('source: /src', '  - name: build\n    include: lib/makes.yaml\n'), 'lib/makes.yaml': broken });
    assert.equal(errs.length, 1, JSON.stringify(errs));
    assert.equal(errs[0]!.message, 'provides "binary_path", but no task in this file registers it');
    assert.deepEqual([path.basename(errs[0]!.pos!.file), errs[0]!.pos!.line], ['makes.yaml', 2]);
  });

  test('a task file checked on its own: a template that reads an undeclared variable is an error at its task', () => {
    const errs = errorsOf({ 'lib/uses.yaml': USES.replace('{{target}}', '{{target}} {{forgotten}}') }, 'lib/uses.yaml');
    assert.equal(errs.length, 1, JSON.stringify(errs));
    assert.equal(errs[0]!.message, 'task "Use them" reads "forgotten", which needs does not declare');
    assert.equal(errs[0]!.pos!.line, 7);
  });

  test('a file that includes others declares what they need: checked when the file is validated on its own', () => {
    const session = 'needs: {vars: [source]}\ntasks:\n- name: build\n  include: makes.yaml\n- name: use\n  include: uses.yaml\n';
    const errs = errorsOf({ 'lib/session.yaml': session, 'lib/makes.yaml': MAKES, 'lib/uses.yaml': USES }, 'lib/session.yaml');
    assert.equal(errs.length, 1, JSON.stringify(errs));
    assert.match(errs[0]!.message, /^uses\.yaml needs the variable "target"/);
    assert.equal(errs[0]!.pos!.line, 6);
    // Reported once, at the outermost include, when a playbook includes the session without it.
    const fixed = session.replace('[source]', '[source, target]');
    const fromPlaybook = errorsOf({ 'pb.yaml': playbook('source: /src', '  - name: s\n    include: lib/session.yaml\n'), 'lib/session.yaml': fixed, 'lib/makes.yaml': MAKES, 'lib/uses.yaml': USES });
    assert.deepEqual(fromPlaybook.map((e) => [e.message, path.basename(e.pos!.file), e.pos!.line]), [['lib/session.yaml needs the variable "target", which is not defined where it is included', 'pb.yaml', 6]]);
  });

  test('a plain list of tasks stays a task file, and a mapping with unknown keys is a schema error', () => {
    assert.deepEqual(errorsOf({ 'pb.yaml': playbook('x: 1', '  - name: i\n    include: plain.yaml\n'), 'plain.yaml': '- name: a\n  command: echo {{x}}\n' }), []);
    const errs = errorsOf({ 'lib/bad.yaml': 'needs: {vars: [a], variables: [b]}\ntasks:\n- name: a\n  command: echo {{a}}\n' }, 'lib/bad.yaml');
    assert.equal(errs.length, 1, JSON.stringify(errs));
    assert.match(errs[0]!.message, /unknown key "variables"/);
  });
});

describe('shipped task files from anywhere', () => {
  test('every shipped playbook and lib file validates, declarations included', () => {
    const results = validate([path.join(REPO_ROOT, 'playbooks')]);
    assert.ok(results.length >= 20);
    assert.deepEqual(results.flatMap((r) => r.problems), []);
    for (const r of results.filter((x) => x.file.includes('/lib/') && x.kind === 'tasks')) assert.ok(r.file.endsWith('.yaml'));
  });

  test('kplay:lib/... names the shipped files from a playbook in another folder; their scripts are found through task_dir', () => {
    const pb = `name: mine\nhosts: all\nvars_files: [kplay:lib/build-vars.yaml, kplay:lib/debug-vars.yaml]\nvars: {component: etcd, binary: /opt/etcd-debug}\ntasks:\n  - name: arch\n    include: kplay:lib/node-platform.yaml\n  - name: build\n    include: kplay:lib/build.yaml\n  - name: paths\n    include: kplay:lib/ide-paths.yaml\n`;
    const dir = writeTree({ 'pb.yaml': pb, 'inv.yaml': INVENTORY });
    const steps = plan({ playbook: path.join(dir, 'pb.yaml'), inventory: path.join(dir, 'inv.yaml'), limit: 'n1' }).plan.hosts[0]!.steps;
    const lib = path.join(REPO_ROOT, 'playbooks', 'lib');
    const check = steps.find((s) => s.name === 'Check it has debug information')!;
    assert.match((check.args as { cmd: string }).cmd, new RegExp(`^sh ${lib.replace(/[/.]/g, '\\$&')}/check-debug-binary\\.sh `));
    const ide = steps.find((s) => s.name === "Read the binary's source paths for the IDE")!;
    assert.ok((ide.args as { cmd: string }).cmd.startsWith(`sh ${lib}/ide-paths.sh `));
    assert.equal(steps.find((s) => s.name === 'Build the component with debug information')!.action, 'skip');
  });

  test("the session without kplay's defaults: one error at the include naming every missing variable, and the vars files that define them", () => {
    const errs = errorsOf({ 'pb.yaml': playbook('component: etcd', '  - name: s\n    include: kplay:lib/debug-session.yaml\n') });
    assert.equal(errs.length, 1, JSON.stringify(errs));
    assert.match(errs[0]!.message, /^kplay:lib\/debug-session\.yaml needs \d+ variables that are not defined where it is included: "stop_method", .*"local_port"(, "[a-z_]+")*$/);
    assert.doesNotMatch(errs[0]!.message, /"component"/);
    assert.match(errs[0]!.hint!, /^Add vars_files: \[kplay:lib\/build-vars\.yaml, kplay:lib\/debug-vars\.yaml\] \(kplay's defaults\)/);
    assert.equal(errs[0]!.pos!.line, 6);
  });

  test('an unknown kplay: name is a missing file at the include', () => {
    const errs = errorsOf({ 'pb.yaml': playbook('x: 1', '  - name: i\n    include: kplay:lib/no-such.yaml\n') });
    assert.equal(errs.length, 1);
    assert.equal(errs[0]!.code, 'E_FILE');
    assert.equal(errs[0]!.pos!.line, 6);
  });

  test('build_command replaces make: run in source_dir, its output is the binary', () => {
    const pb = `name: mine\nhosts: all\nvars_files: [kplay:lib/build-vars.yaml]\nvars: {component: etcd, source_dir: /src/etcd, build_command: "go build -o bin/x . >&2 && echo $PWD/bin/x"}\ntasks:\n  - name: arch\n    include: kplay:lib/node-platform.yaml\n  - name: build\n    include: kplay:lib/build.yaml\n`;
    const dir = writeTree({ 'pb.yaml': pb, 'inv.yaml': INVENTORY });
    const steps = plan({ playbook: path.join(dir, 'pb.yaml'), inventory: path.join(dir, 'inv.yaml'), limit: 'n1' }).plan.hosts[0]!.steps;
    const build = steps.find((s) => s.name === 'Build the component with debug information')!;
    assert.equal((build.args as { cmd: string }).cmd, "cd -- /src/etcd && sh -c 'go build -o bin/x . >&2 && echo $PWD/bin/x'");
    assert.equal(steps.find((s) => s.name === 'Fetch the build from the build host')!.action, 'skip');
  });
});

describe('README: Debug another component', () => {
  test("its debug-etcd.yaml validates and plans from a folder of its own: kplay:lib steps, build_command instead of make, etcd's health check from its probe", () => {
    const dir = writeTree({ 'debug-etcd.yaml': readmeEtcdPlaybook(), 'inv.yaml': INVENTORY });
    assert.deepEqual(validate([path.join(dir, 'debug-etcd.yaml')]).flatMap((r) => r.problems), []);
    const steps = plan({ playbook: path.join(dir, 'debug-etcd.yaml'), inventory: path.join(dir, 'inv.yaml'), limit: 'n1' }).plan.hosts[0]!.steps;
    const cmd = (name: string): string => ((steps.find((s) => s.name === name && s.action === 'run')?.args ?? {}) as { cmd?: string }).cmd ?? '';
    assert.match(cmd('Build the component with debug information'), /^cd -- etcd-3\.4\.23 && sh -c '.*go build -gcflags=/);
    // Its health check comes from the manifest's liveness probe (kubeadm's: http://127.0.0.1:2381/health).
    assert.equal(steps.find((s) => s.name === "Read the static pod's probes")!.action, 'run');
    assert.match(cmd("Find the health check's URL"), /health-url\.mjs '' https:\/\/127\.0\.0\.1:6443\/livez etcd /);
    assert.match(cmd('Wait until the debug build is healthy'), /health-check\.sh <stdout of "Find the health check's URL">/);
    assert.equal((steps.find((s) => s.name === 'Launch under Delve')!.args as { binary: string }).binary, '/var/lib/kplay/debug/etcd');
    assert.equal(steps.find((s) => s.name === 'Write the VS Code launch configuration')!.action, 'skip');
  });

  test('the README lists every template helper', () => {
    const readme = readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
    const helpers = readme.slice(readme.indexOf('- Helpers come first'), readme.indexOf('- `when` and `until` hold'));
    for (const [name, spec] of Object.entries(HELPERS)) assert.ok(helpers.includes(spec.block ? `{{#${name}` : `\`${name} `) || helpers.includes(`\`${name}\``), `the README's list of helpers names ${name}`);
  });
});
