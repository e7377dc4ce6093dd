// Written rollback steps with settings of their own (when, retries, delay, ignore_errors, local),
// local tasks' backups, and writes into folders that do not exist yet, against a real sshd host.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runPlaybook } from '../helpers/run.js';
import { sshLabUnavailable, startSshLab } from '../support/sshd-lab.js';
import type { SshLab } from '../support/sshd-lab.js';

describe('rollback tasks and local backups', { skip: sshLabUnavailable() }, () => {
  let lab: SshLab;
  let dir: string;
  before(async () => {
    lab = await startSshLab({ hosts: 1 });
    dir = mkdtempSync(path.join(tmpdir(), 'kplay-rollback-'));
  });
  after(async () => lab?.close());

  test('a rollback retries with its delay until it succeeds; a rollback whose when is false does not run', async () => {
    const d = path.join(dir, 'retry');
    mkdirSync(d);
    // The undo succeeds only on its third try: each try leaves a mark, the third finds two.
    const r = await runPlaybook(
      dir,
      lab.inventory(),
      `name: r
hosts: all
vars: {d: ${d}, skip_undo: true}
tasks:
  - name: Needs a patient undo
    command: "true"
    rollback:
      name: Wait for it
      command: 'echo x >> {{d}}/tries; [ "$(wc -l < {{d}}/tries)" -ge 3 ]'
      retries: 5
      delay: 200ms
  - name: Undo switched off
    command: "true"
    rollback:
      name: Never
      when: skip_undo
      command: touch {{d}}/never
  - name: Fail
    command: "false"
`,
      { extraVars: ['skip_undo=false'] },
    );
    assert.equal(r.summary.exitCode, 2);
    assert.equal(readFileSync(path.join(d, 'tries'), 'utf8'), 'x\nx\nx\n');
    const e = r.events.find((x) => x.type === 'task_end' && x.name === 'Wait for it');
    assert.ok(e && e.type === 'task_end');
    assert.equal(e.status, 'changed');
    assert.equal(e.attempts, 3);
    assert.equal(existsSync(path.join(d, 'never')), false);
    assert.equal(r.events.some((x) => x.type === 'task_start' && x.name === 'Never'), false);
  });

  test('a local template with backup keeps its copy on the controller and is restored there; missing folders are created', async () => {
    const local = path.join(dir, 'ide');
    mkdirSync(path.join(local, '.vscode'), { recursive: true });
    writeFileSync(path.join(local, '.vscode/launch.json'), '{"mine": true}\n');
    writeFileSync(path.join(dir, 'launch.tpl'), '{"port": {{port}} }\n');
    const remote = path.join(dir, 'remote', 'deep', 'er', 'file.txt');
    const r = await runPlaybook(
      dir,
      lab.inventory(),
      `name: l
hosts: all
vars: {port: 2345}
tasks:
  - name: Write the IDE file
    local: true
    template: {src: launch.tpl, dest: ${local}/.vscode/launch.json, backup: true}
  - name: A new file in a new folder
    local: true
    template: {src: launch.tpl, dest: ${local}/.idea/new/x.json, backup: true}
  - name: A host file in folders that do not exist
    copy: {content: "hello\\n", dest: ${remote}}
  - name: Check during the run
    local: true
    command: grep -q 2345 ${local}/.vscode/launch.json && test -f ${local}/.idea/new/x.json && test -f ${remote}
  - name: Fail
    command: "false"
`,
    );
    assert.equal(r.summary.exitCode, 2, r.summary.leftBehind.join('\n'));
    assert.equal(r.end('h1', 'Check during the run').status, 'changed');
    assert.equal(readFileSync(path.join(local, '.vscode/launch.json'), 'utf8'), '{"mine": true}\n', 'the original is back');
    assert.equal(existsSync(path.join(local, '.idea/new/x.json')), false, 'the new file is gone');
    assert.equal(readFileSync(remote, 'utf8'), 'hello\n', 'the host file was written (copy without backup keeps it)');
  });

  test('an undo with ignore_errors fails without stopping the undos before it; without it the rollback stops there', async () => {
    const d = path.join(dir, 'ignore');
    mkdirSync(d);
    const pb = (ignore: boolean) => `name: i
hosts: all
tasks:
  - name: First change
    command: "true"
    rollback: touch ${d}/first-undone
  - name: Second change
    command: "true"
    rollback: {name: Failing undo, command: "exit 3", ignore_errors: ${ignore}}
  - name: Fail
    command: "false"
`;
    const ignored = await runPlaybook(dir, lab.inventory(), pb(true));
    assert.equal(ignored.summary.exitCode, 2);
    assert.equal(existsSync(path.join(d, 'first-undone')), true);
    const stopped = await runPlaybook(dir, lab.inventory(), pb(false).replaceAll('first-undone', 'first-undone-2'));
    assert.equal(stopped.summary.exitCode, 5);
    assert.equal(existsSync(path.join(d, 'first-undone-2')), false, 'a failed undo stops the older ones');
    // (That run keeps the host locked until kplay rollback: this test comes last.)
  });
});
