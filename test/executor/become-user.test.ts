// become_user: which user a become task (and its undo) runs as, from the task, the host's setting
// or the playbook. The plan is checked anywhere; running as another user needs root and sudo.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { plan } from '../../src/index.js';
import { formatPlan } from '../../src/plan/print.js';
import { writeTree } from '../helpers/files.js';
import { runLocal, tempDir } from '../helpers/local-run.js';

const INVENTORY = [
  'hosts:',
  '  cp1: {address: 127.0.0.2, vars: {become_user: postgres}}',
  '  cp2: {address: 127.0.0.3}',
  '',
].join('\n');

function planned(playbook: string) {
  const dir = writeTree({ 'pb.yaml': playbook, 'inv.yaml': INVENTORY });
  return plan({ playbook: path.join(dir, 'pb.yaml'), inventory: path.join(dir, 'inv.yaml') }).plan;
}

describe('the plan says who each become step runs as', () => {
  const p = planned(
    [
      'name: t',
      'hosts: all',
      'become: true',
      'become_user: app',
      'tasks:',
      '  - name: default',
      '    command: id -un',
      '    rollback: id -un',
      '  - name: own',
      '    command: id -un',
      '    become_user: root',
      '  - name: no become',
      '    command: id -un',
      '    become: false',
      '    become_user: other',
      '',
    ].join('\n'),
  );
  const step = (host: string, name: string) => p.hosts.find((h) => h.name === host)!.steps.find((s) => s.name === name)!;

  test("the host's become_user setting comes before the playbook's, a task's own before both", () => {
    assert.equal(step('cp1', 'default').becomeUser, 'postgres');
    assert.equal(step('cp2', 'default').becomeUser, 'app');
    assert.equal(step('cp1', 'own').becomeUser, undefined, 'root is sudo without -u');
    assert.equal(step('cp1', 'own').become, true);
  });

  test('a step without become has no user to become; an undo acts as its task', () => {
    assert.equal(step('cp1', 'no become').becomeUser, undefined);
    assert.equal(step('cp1', 'default').undo?.becomeUser, 'postgres');
  });

  test('the printed plan shows sudo -u USER', () => {
    const text = formatPlan(p);
    assert.match(text, /default \[command; sudo -u postgres\]/);
    assert.match(text, /default \[command; sudo -u app\]/);
  });
});

const canSudo = process.getuid?.() === 0 && spawnSync('sudo', ['-n', '-u', 'nobody', 'true']).status === 0;
const WHY = 'needs root and sudo to run commands as nobody';

describe('a become task runs as its become_user, and so does its undo', { skip: canSudo ? false : WHY }, () => {
  test('commands, the playbook default, and the rollback of a failed run', { timeout: 30_000 }, async () => {
    const dir = tempDir();
    chmodSync(dir, 0o777);
    const pb = [
      'name: t',
      'hosts: all',
      'become: true',
      'become_user: nobody',
      'tasks:',
      '  - name: who',
      '    command: id -un',
      '    register: who',
      `    rollback: id -un > ${dir}/undone-by`,
      '  - name: as root',
      '    command: id -un',
      '    become_user: root',
      '    register: root',
      '  - name: stop',
      '    fail: {msg: stop}',
      '',
    ].join('\n');
    const ran = await runLocal(dir, pb);
    assert.equal(ran.end('h1', 'who').stdout, 'nobody');
    assert.equal(ran.end('h1', 'as root').stdout, 'root');
    assert.equal(readFileSync(path.join(dir, 'undone-by'), 'utf8').trim(), 'nobody');
  });
});
