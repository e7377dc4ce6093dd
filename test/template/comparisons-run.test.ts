// Comparisons as a user meets them: `kplay validate` and the dry run refuse what cannot work
// (exit 4 at file:line:col with a hint, before any host is contacted), and a real run compares a
// command's output with a number, or fails that task naming both values.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { ExitCode } from '../../src/errors.js';
import { kplay } from '../helpers/cli.js';
import { runLocal, tempDir } from '../helpers/local-run.js';

const INV = 'hosts:\n  cp1: {address: 10.0.0.1}\n';

function workdir(playbook: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kplay-compare-'));
  writeFileSync(path.join(dir, 'pb.yaml'), playbook);
  writeFileSync(path.join(dir, 'inv.yaml'), INV);
  return dir;
}

/** A playbook whose second task (line 7 on) carries `when`. */
function withWhen(when: string, vars = ''): string {
  return [
    'name: Load check',
    'hosts: all',
    ...(vars ? ['vars:', vars] : []),
    'tasks:',
    '  - {name: load, command: cat /proc/loadavg, register: load}',
    '  - name: act',
    '    command: echo busy',
    `    when: ${when}`,
    '',
  ].join('\n');
}

function expectRefused(dir: string, args: string[], at: string, message: RegExp, hint: RegExp): void {
  const r = kplay(args, { cwd: dir });
  const shown = `\n--- stderr ---\n${r.err}`;
  assert.equal(r.code, 4, `exit 4${shown}`);
  assert.match(r.err, new RegExp(`${at.replace(/\./g, '\\.')}: error: ${message.source}`), `position and message${shown}`);
  assert.match(r.err, new RegExp(`hint: .*${hint.source}`, 'i'), `hint${shown}`);
  assert.doesNotMatch(r.err, /\n\s+at .*\.(js|ts):\d+/, `no stack trace${shown}`);
}

describe('comparisons that cannot work are refused before connecting (build first: npm run build)', () => {
  test('a literal word against a number: validate and the dry run, at the word', () => {
    // "    when: " is 10 characters; "(lt " puts the word at column 15 of line 8.
    const dir = workdir(withWhen('(lt "high" 5)'));
    for (const args of [['validate', 'pb.yaml'], ['run', 'pb.yaml', '-i', 'inv.yaml', '--dry-run'], ['plan', 'pb.yaml', '-i', 'inv.yaml']]) {
      expectRefused(dir, args, 'pb.yaml:7:15', /lt cannot compare "high" with 5: "high" does not hold a number/, /a number compares with a number/);
    }
  });

  test('a return code against a word, and a result list ordered, are refused at the condition', () => {
    let dir = workdir(withWhen('(eq load.rc "ok")'));
    expectRefused(dir, ['run', 'pb.yaml', '-i', 'inv.yaml', '--dry-run'], 'pb.yaml:7:11', /eq compares <rc of "load">, a number, with "ok", which holds no number: it is always false/, /compare a number with a number/);
    dir = workdir(withWhen('(gt load.lines 2)'));
    expectRefused(dir, ['validate', 'pb.yaml'], 'pb.yaml:7:11', /gt compares numbers or strings, got <lines of "load"> \(a list\) and 2/, /length/);
  });

  test('a map of the playbook, against a command\'s output or a number, is refused', () => {
    const dir = workdir(withWhen('(lt load.stdout limits)', '  limits: {max: 1}'));
    expectRefused(dir, ['run', 'pb.yaml', '-i', 'inv.yaml', '--dry-run'], 'pb.yaml:9:11', /lt compares numbers or strings, got <stdout of "load"> and a map/, /field/);
    const known = workdir(withWhen('(lt limits 5)', '  limits: {max: 1}'));
    expectRefused(known, ['validate', 'pb.yaml'], 'pb.yaml:9:11', /lt compares numbers or strings, got a map and 5/, /field/);
  });

  test('a pattern that does not compile, in a command', () => {
    const dir = workdir(['name: P', 'hosts: all', 'tasks:', '  - name: v', '    command: echo {{regex_search "v1.2" "v(\\d+"}}', ''].join('\n'));
    // "    command: " is 13 characters, 'echo {{regex_search "v1.2" ' 27 more: the pattern is at column 41.
    expectRefused(dir, ['validate', 'pb.yaml'], 'pb.yaml:5:41', /regular expression \/v\(\\d\+\/ does not compile/, /JavaScript regular expressions/);
  });

  test('what can only be judged at run time passes validate and the plan', () => {
    const dir = workdir(withWhen('(lt load.stdout max_load)', '  max_load: 4'));
    const r = kplay(['run', 'pb.yaml', '-i', 'inv.yaml', '--dry-run'], { cwd: dir });
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /runs only if \(lt load.stdout max_load\) \(decided at run time\)/);
  });
});

describe('comparisons at run time, on this machine', () => {
  const BOUND = { timeout: 30_000 };
  const pb = (output: string) =>
    ['name: t', 'hosts: all', 'vars: {max_load: 1}', 'tasks:', `  - {name: load, command: echo ${output}, register: load}`, '  - name: act', '    command: "true"', '    when: (lt load.stdout max_load)', ''].join('\n');

  test('stdout "0.42" is less than 1', BOUND, async () => {
    const ran = await runLocal(tempDir(), pb('0.42'));
    assert.equal(ran.end('h1', 'act').status, 'changed');
    assert.equal(ran.summary.exitCode, ExitCode.ok);
  });

  test('stdout "1.5" is not, and the task is skipped', BOUND, async () => {
    const ran = await runLocal(tempDir(), pb('1.5'));
    assert.equal(ran.end('h1', 'act').status, 'skipped');
  });

  test('stdout that holds no number fails the task, naming both values', BOUND, async () => {
    const ran = await runLocal(tempDir(), pb('high'));
    const end = ran.end('h1', 'act');
    assert.equal(end.status, 'failed');
    assert.equal(end.code, 'E_TEMPLATE');
    assert.match(end.message ?? '', /lt cannot compare "high" with 1: "high" does not hold a number/);
    assert.equal(ran.summary.exitCode, ExitCode.taskFailed);
  });
});
