// `kplay plan -o json` keeps each host as its JSON text from the moment the host is planned (see
// buildPlan's `keep`). What it prints must stay exactly what the whole plan shows: no_log
// arguments hidden, secrets masked, on a pipe compact and on a terminal indented.
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { runCommand } from '../src/commands/run.js';
import { toJson } from '../src/commands/io.js';
import { plan, shownPlan } from '../src/library.js';
import type { HostPlan } from '../src/library.js';
import { outputSecrets } from '../src/plan/secret-vars.js';
import { Redactor } from '../src/report/redact.js';
import { kplay } from './helpers/cli.js';
import { inFolder, writeTree } from './helpers/files.js';

const SECRET = `tok "q" \\ 'x'`;

const dir = writeTree({
  'inv.yaml': 'hosts:\n  h1: {address: 192.0.2.1}\n  h2: {address: 192.0.2.2, vars: {n: 2}}\n  h3: {address: 192.0.2.3}\n',
  'pb.yaml': `name: J
hosts: all
secrets:
  token: {env: KPLAY_TEST_PLAN_JSON_TOKEN}
vars:
  n: 1
  header: "Bearer {{token}}"
tasks:
  - name: uses the secret
    command: curl -H {{header}} https://h/{{host.name}}/{{n}}
    rollback: echo undo {{token}}
  - name: quiet
    no_log: true
    command: echo hush {{n}}
    rollback:
      command: echo hush-undo
      no_log: true
  - name: each
    command: echo {{item}} {{token}}
    loop: [a, b]
  - name: skipped on h2
    command: echo {{n}}
    when: (ne n 2)
`,
});
const env = { KPLAY_TEST_PLAN_JSON_TOKEN: SECRET };
const req = { playbook: path.join(dir, 'pb.yaml'), inventory: path.join(dir, 'inv.yaml') };

/** The plan JSON as made from the whole plan, the way a dry run with --diff or --plan still makes it. */
function wholePlanJson(isTTY: boolean): Promise<string> {
  Object.assign(process.env, env);
  // The plan's inputs name the folder kplay ran in.
  return inFolder(dir, () => {
    const result = plan(req);
    const shown = new Redactor(outputSecrets(result.source.playbook, result.source.inventory, process.env)).data(shownPlan(result.plan));
    return toJson(shown, { isTTY });
  });
}

test('kplay plan -o json through a pipe prints the bytes of the whole plan, shown and masked', async () => {
  const r = kplay(['plan', 'pb.yaml', '-i', 'inv.yaml', '-o', 'json'], { cwd: dir, env });
  assert.equal(r.code, 0, r.err);
  assert.equal(r.out, await wholePlanJson(false));
  // What the comparison stands on: the secret, a no_log step and a skipped step are in it.
  assert.ok(!r.out.includes('tok '), 'the secret is masked');
  assert.doesNotMatch(r.out, /hush/);
  const hosts = (JSON.parse(r.out) as { hosts: HostPlan[] }).hosts;
  assert.deepEqual(hosts.map((h) => h.name), ['h1', 'h2', 'h3']);
  assert.equal(hosts[1]!.steps[3]!.action, 'skip');
  assert.equal(hosts[0]!.steps[2]!.loop?.items?.length, 2);
});

test('runCommand on a terminal indents the JSON of the hosts kept as text like the rest', async () => {
  const out: string[] = [];
  Object.assign(process.env, env);
  const io = { out: (s: string) => out.push(s), err: () => {}, isTTY: true, mask: () => {} };
  assert.equal(await inFolder(dir, () => runCommand({ ...req, dryRun: true, output: 'json' }, io)), 0);
  assert.equal(out.join(''), await wholePlanJson(true));
  assert.match(out.join(''), /^ {6}"steps": \[$/m, 'the hosts are indented too');
});

test('plan(req, keep): keep is made once from the loaded playbook and inventory, and the plan holds what it gives for each host, in order', () => {
  Object.assign(process.env, env);
  const made: string[] = [];
  const seen: string[] = [];
  const result = plan(req, (playbook, inventory) => {
    made.push(`${playbook.name} ${[...inventory.hosts.keys()].join(',')}`);
    return (host) => {
      seen.push(host.name);
      return `${host.name}: ${host.steps.length} steps`;
    };
  });
  assert.deepEqual(made, ['J h1,h2,h3']);
  assert.deepEqual(seen, ['h1', 'h2', 'h3']);
  assert.deepEqual(result.plan.hosts, ['h1: 4 steps', 'h2: 4 steps', 'h3: 4 steps']);
  assert.deepEqual(result.plan.batches, [['h1', 'h2', 'h3']]);
});
