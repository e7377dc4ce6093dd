// `kplay schemas`: a stable target for the $schema line of playbooks kept outside kplay's checkout,
// and such a playbook using the shipped steps by their kplay: names. Drives the built CLI (npm run build).
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import AjvModule from 'ajv';
import { parse } from 'yaml';
import { kplay } from './helpers/cli.js';
import { REPO_ROOT, writeTree } from './helpers/files.js';

const TEAM_PLAYBOOK = `# yaml-language-server: $schema=schemas/playbook.schema.json
name: Debug our controller
hosts: all
max_hosts: 1
vars_files: [kplay:lib/build-vars.yaml, kplay:lib/debug-vars.yaml]
vars: {component: our-controller, build_command: "echo /opt/our-controller"}
tasks:
  - name: Debug session
    include: kplay:lib/debug-session.yaml
`;

test('kplay schemas prints the installed schemas folder; --write copies them, and they check a playbook on their own', () => {
  const printed = kplay(['schemas']);
  assert.equal(printed.code, 0, printed.err);
  assert.equal(path.resolve(printed.out.trim()), path.join(REPO_ROOT, 'schemas'));

  const dir = writeTree({ 'debug-ours.yaml': TEAM_PLAYBOOK });
  const written = kplay(['schemas', '--write', path.join(dir, 'schemas')]);
  assert.equal(written.code, 0, written.err);
  for (const f of ['playbook', 'tasks', 'vars', 'inventory']) assert.ok(existsSync(path.join(dir, 'schemas', `${f}.schema.json`)), f);
  assert.match(written.out, /wrote .*schemas\/playbook\.schema\.json/);

  // What an editor does with the modeline: the copies alone (no network, no kplay) check the file.
  const Ajv = AjvModule.default;
  const ajv = new Ajv({ allErrors: true, strict: false });
  for (const f of ['playbook', 'tasks']) ajv.addSchema(JSON.parse(readFileSync(path.join(dir, 'schemas', `${f}.schema.json`), 'utf8')));
  const check = ajv.getSchema('https://kplay.dev/schemas/playbook.schema.json')!;
  assert.equal(check(parse(TEAM_PLAYBOOK)), true, JSON.stringify(check.errors));
  assert.equal(check(parse(TEAM_PLAYBOOK.replace('max_hosts', 'max_host'))), false);
  const checkTasks = ajv.getSchema('https://kplay.dev/schemas/tasks.schema.json')!;
  assert.equal(checkTasks(parse(readFileSync(path.join(REPO_ROOT, 'playbooks/lib/build.yaml'), 'utf8'))), true, JSON.stringify(checkTasks.errors));

  // And kplay itself takes the playbook, shipped steps included, from this folder.
  const validated = kplay(['validate', path.join(dir, 'debug-ours.yaml')], { cwd: dir });
  assert.equal(validated.code, 0, validated.err);
  assert.match(validated.out, /ok {2}.*debug-ours\.yaml \(playbook\)/);
});

test('kplay schemas --write into something that is not a folder: exit 4 and what to do, no stack', () => {
  const dir = writeTree({ 'a-file': 'x' });
  const r = kplay(['schemas', '--write', path.join(dir, 'a-file', 'schemas')]);
  assert.equal(r.code, 4);
  assert.match(r.err, /cannot write the schemas into .*a-file\/schemas/);
  assert.match(r.err, /hint: Name a folder you can write to/);
  assert.doesNotMatch(r.err, /\n\s+at /);
});
