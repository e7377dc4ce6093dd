import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RunEvent, TaskEndEvent } from '../../src/report/events.js';
import { PlainReporter } from '../../src/report/plain-reporter.js';
import { Capture, FAIL_MESSAGE, OK_STDOUT, UNREACHABLE, at, scenario } from './scenario.js';

async function run(events: RunEvent[], verbose = false): Promise<string[]> {
  const out = new Capture();
  const reporter = new PlainReporter({ out, verbose });
  for (const e of events) reporter.onEvent(e);
  await reporter.close();
  assert.ok(!out.text.includes('\x1b'), 'no escape codes anywhere');
  return out.text.split('\n');
}

test('plain: one host-prefixed line per event', async () => {
  const lines = await run(scenario());
  for (const expected of [
    'Running restart-kubelet (playbooks/restart.yaml) on 3 hosts: cp1, cp2, cp3; run run-42',
    'cp1 | starting (10.0.0.1)',
    'cp1 | 2 Stop the static pod ...',
    'cp1 | 2 Stop the static pod ... changed (1.2s)',
    'cp1 | 3 Restore the backup ... skipped: no backup to restore',
    'cp1 | 1 Check kubelet ... ok (300ms)',
    'cp1 | ok (ok=1 changed=1 failed=0 skipped=1)',
    'cp2 | 2 Drain the node ... failed (3.4s): exit status 1',
    `cp2 |   ${FAIL_MESSAGE}`,
    'cp2 | failed (ok=1 changed=0 failed=1 skipped=0)',
    `cp3 | unreachable: ${UNREACHABLE} (ok=0 changed=0 failed=0 skipped=0)`,
    'cp3 |   hint: Check that sshd runs on 10.0.0.3 and that port 22 is open.',
  ]) {
    assert.ok(lines.includes(expected), `missing line: ${expected}\n--- got:\n${lines.join('\n')}`);
  }
});

test('plain: a failure shows the last 20 lines of stderr, indented, not the first ones', async () => {
  const lines = await run(scenario());
  const head = lines.indexOf('cp2 |   stderr, last 20 of 30 lines:');
  assert.ok(head > 0, 'the tail has a heading');
  const expected = [
    ...Array.from({ length: 19 }, (_, i) => `cp2 |     evicting pod ${String(i + 11)}`),
    'cp2 |     Fehler: Pod «etcd-0» lässt sich nicht räumen ✗',
  ];
  assert.deepEqual(lines.slice(head + 1, head + 21), expected);
  assert.ok(!lines.some((l) => /evicting pod (0\d|10)$/.test(l)), 'lines 1 to 10 are left out');
  assert.ok(!lines.some((l) => l.includes('node/cp2 cordoned')), 'stdout is not shown when stderr says why');
});

test('plain: progress at most once per 2 s per task', async () => {
  const lines = await run(scenario());
  assert.deepEqual(
    lines.filter((l) => l.includes('waiting for the pod')),
    [
      'cp1 | 2 Stop the static pod ... waiting for the pod to stop (1 of 3)',
      'cp1 | 2 Stop the static pod ... waiting for the pod to stop (3 of 3)',
    ],
  );
});

test('plain: ends with an aligned recap and a one-line summary', async () => {
  const lines = await run(scenario());
  const at = lines.indexOf('RECAP');
  assert.ok(at > 0);
  assert.equal(lines[at - 1], '', 'a blank line sets the recap apart');
  assert.deepEqual(lines.slice(at + 1), [
    'host  ok  changed  failed  skipped  unreachable  status',
    'cp1    1        1       0        1            0  ok',
    'cp2    1        0       1        0            0  failed',
    'cp3    0        0       0        0            1  unreachable',
    'Run failed after 5.4s: 3 hosts, 1 ok, 1 failed, 1 unreachable (exit code 2)',
    '',
  ]);
});

test('plain: verbose shows the output of tasks that went well; the default does not', async () => {
  const quiet = await run(scenario());
  assert.ok(!quiet.some((l) => l.includes(OK_STDOUT)));
  const verbose = await run(scenario(), true);
  const i = verbose.indexOf('cp1 | 1 Check kubelet ... ok (300ms)');
  assert.deepEqual(verbose.slice(i + 1, i + 3), ['cp1 |   stdout:', `cp1 |     ${OK_STDOUT}`]);
  // Verbose shows a failure's whole output, both streams.
  assert.ok(verbose.includes('cp2 |     evicting pod 01'));
  assert.ok(verbose.includes('cp2 |     node/cp2 cordoned'));
});

test('plain: timeouts, signals and stdout-only failures, with escape codes from the remote side removed', async () => {
  const end = (over: Partial<TaskEndEvent>): TaskEndEvent => ({
    type: 'task_end',
    time: at(0),
    host: 'w1',
    taskId: '4',
    name: 'Wait for the API server',
    kind: 'wait_for',
    status: 'failed',
    attempts: 1,
    durationMs: 120_004,
    ...over,
  });
  const lines = await run([
    end({ timedOut: true, rc: null }),
    end({ signal: 'SIGKILL', durationMs: 900, attempts: 3 }),
    end({ rc: 2, durationMs: 1500, stdout: '\x1b[31mno such file\x1b[0m\r\n', stderr: '' }),
  ]);
  assert.deepEqual(lines, [
    'w1 | 4 Wait for the API server ... failed (2m): timed out after 2m',
    'w1 | 4 Wait for the API server ... failed (900ms, 3 attempts): killed by SIGKILL',
    'w1 | 4 Wait for the API server ... failed (1.5s): exit status 2',
    'w1 |   stdout:',
    'w1 |     no such file',
    '',
    'RECAP',
    'host  ok  changed  failed  skipped  unreachable  status',
    'w1     0        0       3        0            0  interrupted',
    'Run interrupted: 1 host, 1 interrupted',
    '',
  ]);
});

test("plain: the playbook's description follows the first line, wrapped to 100 columns", async () => {
  const [start, ...rest] = scenario();
  const description = `Restarts the kubelet on every node. ${'What it does to the cluster: each node goes NotReady for a few seconds. '.repeat(3)}`;
  const lines = await run([{ ...(start as Extract<RunEvent, { type: 'run_start' }>), description }, ...rest]);
  const first = lines.indexOf('Running restart-kubelet (playbooks/restart.yaml) on 3 hosts: cp1, cp2, cp3; run run-42');
  const said = lines.slice(first + 1, lines.findIndex((l) => l.startsWith('cp1 |')));
  assert.ok(said.length >= 2, `wrapped over several lines: ${said.join('|')}`);
  for (const l of said) assert.ok(l.startsWith('  ') && l.length <= 100, `indented and at most 100 columns: "${l}"`);
  assert.equal(said.map((l) => l.trim()).join(' '), description.trim());
});
