// The CLI's --diff on a dry run (no connection: the rendered files against nothing) and the
// usage of --check, through bin/kplay.cjs as a user runs it (npm run build first).
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { kplay } from './helpers/cli.js';
import { writeTree } from './helpers/files.js';

const PLAYBOOK = `name: cfg
hosts: all
secrets:
  token: {env: CHECK_CLI_TOKEN}
vars:
  port: 8443
tasks:
  - name: probe
    command: echo hi
    register: probe
  - name: render
    template: {src: app.tmpl, dest: /etc/app.conf}
  - name: hidden
    template: {src: app.tmpl, dest: /etc/hidden.conf}
    no_log: true
  - name: inline
    copy: {content: "a={{port}}\\n", dest: /etc/a}
`;

function tree(): string {
  return writeTree({
    'pb.yaml': PLAYBOOK,
    'app.tmpl': 'port: {{port}}\ntoken: {{token}}\nprobe: {{probe.stdout}}\n',
    'inv.yaml': 'hosts:\n  h1: {address: 192.0.2.1}\n',
  });
}

const ENV = { CHECK_CLI_TOKEN: 'tok-value-1234' };

test('plan --diff shows each rendered file against nothing: secrets masked, run-time values as placeholders, no_log hidden', () => {
  const dir = tree();
  const r = kplay(['plan', path.join(dir, 'pb.yaml'), '-i', path.join(dir, 'inv.yaml'), '--diff'], { env: ENV });
  assert.equal(r.code, 0, r.err);
  const after = r.out.slice(r.out.indexOf('Files as they would be written'));
  assert.ok(
    after.includes('h1  2 render\n  --- /dev/null\n  +++ after: /etc/app.conf\n  @@ -0,0 +1,3 @@\n  +port: 8443\n  +token: ********\n  +probe: <stdout of "probe">\n'),
    r.out,
  );
  assert.ok(after.includes('h1  3 hidden\n  (hidden: no_log): (hidden: no_log)\n'), r.out);
  assert.ok(!after.includes('/etc/hidden.conf'), r.out);
  assert.ok(after.includes('h1  4 inline\n  --- /dev/null\n  +++ after: /etc/a\n  @@ -0,0 +1 @@\n  +a=8443'), r.out);
  assert.ok(!r.out.includes('tok-value-1234'));
});

test('run --dry-run --diff -o json adds the files to the plan, and such a saved plan still runs as a plan', () => {
  const dir = tree();
  const saved = kplay(['run', path.join(dir, 'pb.yaml'), '-i', path.join(dir, 'inv.yaml'), '--dry-run', '--diff', '-o', 'json'], { env: ENV, cwd: dir });
  assert.equal(saved.code, 0, saved.err);
  const json = JSON.parse(saved.out) as { diffs: { host: string; taskId: string; diffs: { path: string; diff?: string }[] }[] };
  assert.deepEqual(
    json.diffs.map((d) => [d.host, d.taskId, d.diffs[0]!.path]),
    [
      ['h1', '2', '/etc/app.conf'],
      ['h1', '3', '(hidden: no_log)'],
      ['h1', '4', '/etc/a'],
    ],
  );
  writeFileSync(path.join(dir, 'plan.json'), saved.out);
  const again = kplay(['run', '--plan', path.join(dir, 'plan.json'), '--dry-run'], { env: ENV, cwd: dir });
  assert.equal(again.code, 0, again.err);
  assert.match(again.out, /^Plan: cfg$/m);
});

test('--check with --detach is refused: a check leaves nothing in place', () => {
  const dir = tree();
  const r = kplay(['run', path.join(dir, 'pb.yaml'), '-i', path.join(dir, 'inv.yaml'), '--check', '--detach'], { env: ENV });
  assert.equal(r.code, 4);
  assert.match(r.err, /--check changes nothing, so there is nothing to leave in place with --detach \[E_USAGE\]/);
  assert.match(r.err, /hint: Drop --detach/);
});

test('check_mode must be a boolean, reported at its place', () => {
  const dir = writeTree({ 'pb.yaml': 'name: c\nhosts: all\ntasks:\n  - name: t\n    command: "true"\n    check_mode: "no"\n', 'inv.yaml': 'hosts:\n  h1: {address: 192.0.2.1}\n' });
  const r = kplay(['validate', path.join(dir, 'pb.yaml')]);
  assert.equal(r.code, 4);
  assert.match(r.err + r.out, /pb\.yaml:6:17: error: .*check_mode must be true or false/);
});
