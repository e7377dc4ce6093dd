// The script a task runs, on the controller's own shell: no root, no sshd.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { LocalConnection } from '../../src/connection/local.js';
import { taskScript } from '../../src/connection/task-script.js';
import { tempDir } from '../helpers/local-run.js';

const conn = new LocalConnection();
after(() => conn.close());
const run = (cmd: string, opts: { cwd?: string; env?: Record<string, string> } = {}) => conn.run(cmd, { timeoutMs: 10_000, ...opts });

describe('task script', () => {
  test('the environment reaches every command of the task, values stay data', async () => {
    const r = await run('printf "%s|" "$A" && sh -c \'printf "%s" "$A"\'', { env: { A: `it's $(rm -rf /) "x"` } });
    assert.equal(r.rc, 0);
    assert.equal(r.stdout.toString(), `it's $(rm -rf /) "x"|it's $(rm -rf /) "x"`);
  });

  test('cwd applies, and neither it nor the environment reaches the next task', async () => {
    const dir = tempDir();
    const first = await run('pwd; export LEAK=1', { cwd: dir, env: { B: 'b' } });
    assert.equal(first.stdout.toString().trim(), dir);
    const next = await run('printf "%s,%s,%s" "${B:-}" "${LEAK:-}" "$(pwd)"');
    assert.notEqual(next.stdout.toString(), `b,1,${dir}`);
    assert.equal(next.stdout.toString().split(',').slice(0, 2).join(','), ',');
  });

  test('a folder that does not exist fails the task before its command runs', async () => {
    const r = await run('echo ran', { cwd: '/nonexistent/kplay' });
    assert.notEqual(r.rc, 0);
    assert.equal(r.stdout.toString(), '');
  });

  test('a name the shell cannot take is refused with a message', () => {
    assert.throws(() => taskScript('true', { env: { 'A-B': '1' } }), /"A-B" cannot be an environment variable name/);
    assert.equal(taskScript('true', { env: { A_1: 'x y' } }), "export A_1='x y'\ntrue");
  });
});
