import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RunEvent } from '../../src/report/events.js';
import { ListrReporter } from '../../src/report/listr-reporter.js';
import { Capture, FAIL_MESSAGE, OK_STDOUT, UNREACHABLE, at, scenario } from './scenario.js';

const GUARD = { timeout: 5000 };

/** What stays on the terminal: everything after listr2's last erase, without escape codes. */
function finalScreen(text: string): string {
  const lastErase = text.lastIndexOf('\x1b[G');
  return text.slice(lastErase + 1).replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');
}

async function run(events: RunEvent[], opts: { verbose?: boolean; color?: boolean } = {}) {
  const out = new Capture(true);
  const err = new Capture(true);
  const reporter = new ListrReporter({ out, err, ...opts });
  for (const e of events) reporter.onEvent(e);
  await reporter.close();
  return { raw: out.text, screen: finalScreen(out.text), err: err.text };
}

test('listr: the final screen shows every host, the failed task with its stderr tail, and the recap', GUARD, async () => {
  const { screen, err } = await run(scenario());
  const lines = screen.split('\n');
  assert.match(screen, /✔ cp1 \(10\.0\.0\.1\) {2}ok: 1 ok, 1 changed, 1 skipped in 1\.8s/);
  assert.match(screen, /✖ cp2 \(10\.0\.0\.2\) {2}failed: 1 ok, 1 failed in 3\.9s/);
  assert.match(screen, /✔ 1 Check kubelet {2}ok \(319ms\)/);
  assert.match(screen, /✖ 2 Drain the node {2}failed \(3\.4s\): exit status 1/);
  assert.ok(screen.includes(`› ${FAIL_MESSAGE}`));
  assert.ok(screen.includes('stderr, last 10 of 30 lines:'));
  for (let n = 21; n <= 29; n++) assert.ok(screen.includes(`evicting pod ${n}`), `tail line ${n}`);
  assert.ok(screen.includes('Fehler: Pod «etcd-0» lässt sich nicht räumen ✗'));
  assert.ok(!screen.includes('evicting pod 20'), 'only the last 10 lines');
  assert.match(screen, /✖ cp3 \(10\.0\.0\.3\) {2}unreachable/);
  assert.ok(screen.includes(`› ${UNREACHABLE}`));
  assert.ok(!screen.includes(OK_STDOUT), 'output of tasks that went well stays hidden');
  const recap = lines.indexOf('RECAP');
  assert.deepEqual(lines.slice(recap + 1), [
    'host  ok  changed  failed  skipped  unreachable  status',
    'cp1    1        1       0        1            0  ok',
    'cp2    1        0       1        0            0  failed',
    'cp3    0        0       0        0            1  unreachable',
    'Run failed after 5.4s: 3 hosts, 1 ok, 1 failed, 1 unreachable (exit code 2)',
    '',
  ]);
  assert.equal(err, '', 'nothing on stderr');
});

test('listr: verbose keeps the tasks of a host that went well, with status words and durations', GUARD, async () => {
  const { screen } = await run(scenario(), { verbose: true });
  assert.match(screen, /✔ 1 Check kubelet {2}ok \(300ms\)/);
  assert.match(screen, /✔ 2 Stop the static pod {2}changed \(1\.2s\)/);
  assert.match(screen, /↓ 3 Restore the backup {2}skipped: no backup to restore/);
});

test('listr: a running task shows a spinner and its progress while it runs', GUARD, async () => {
  const out = new Capture(true);
  const reporter = new ListrReporter({ out, err: out });
  for (const e of scenario().slice(0, 12)) reporter.onEvent(e);
  const wanted = /[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏\-\\|/] 2 Stop the static pod\n\s+› waiting for the pod to stop \(1 of 3\)/;
  let frame = '';
  try {
    // Frames are throttled and the machine may be busy (the SSH tests run alongside): wait for the
    // frame that shows the running task, up to 3 s, instead of a fixed pause.
    for (let waited = 0; waited < 3000 && !wanted.test(frame); waited += 50) {
      await new Promise((r) => setTimeout(r, 50));
      frame = finalScreen(out.text);
    }
  } finally {
    await reporter.close();
  }
  assert.match(frame, wanted);
  assert.match(finalScreen(out.text), /cp1 \(10\.0\.0\.1\) {2}interrupted/);
});

test('listr: close() resolves when the run stops halfway, without run_end', GUARD, async () => {
  const events = scenario().filter((e) => e.type !== 'run_end' && !(e.type === 'task_end' && e.host === 'cp2'));
  const { screen } = await run(events.filter((e) => !(e.type === 'host_end' && e.host === 'cp2')));
  assert.match(screen, /2 Drain the node {2}failed \(\d+ms\)/);
  assert.ok(screen.includes('interrupted: the run ended before this task did'));
  assert.match(screen, /cp2 .* {2}interrupted/);
  assert.ok(screen.includes('Run interrupted: 3 hosts, 1 ok, 1 unreachable, 1 interrupted'));
});

test('listr: run_end while a task still runs ends the display; later events are ignored', GUARD, async () => {
  const out = new Capture(true);
  const reporter = new ListrReporter({ out, err: out });
  reporter.onEvent({ type: 'host_start', time: at(0), host: 'w1', address: '10.0.1.1' });
  reporter.onEvent({ type: 'task_start', time: at(1), host: 'w1', taskId: '1', name: 'Sleep', kind: 'command', preview: ['sleep 600'] });
  reporter.onEvent({ type: 'run_end', time: at(2), runId: 'r', exitCode: 130, durationMs: 2, recap: {} });
  reporter.onEvent({ type: 'task_end', time: at(3), host: 'w1', taskId: '1', name: 'Sleep', kind: 'command', status: 'ok', attempts: 1, durationMs: 2 });
  await reporter.close();
  await reporter.close();
  const screen = finalScreen(out.text);
  assert.match(screen, /✖ 1 Sleep {2}failed/);
  assert.ok(screen.includes('Run failed after 2ms: 1 host, 1 interrupted (exit code 130)'));
});

test('listr: close() with no events prints nothing and resolves', GUARD, async () => {
  const out = new Capture(true);
  await new ListrReporter({ out, err: out }).close();
  assert.equal(out.text, '');
});

test('listr: colors only when asked', GUARD, async () => {
  const sgr = /\x1b\[\d+(;\d+)*m/;
  assert.doesNotMatch((await run(scenario())).raw, sgr);
  assert.match((await run(scenario(), { color: true })).raw, sgr);
});

test("listr: the playbook's description is written above the live display, before it starts", GUARD, async () => {
  const [start, ...rest] = scenario();
  const description = 'Restarts the kubelet on every node. What it does to the cluster: each node goes NotReady for a few seconds.';
  const { raw } = await run([{ ...(start as Extract<RunEvent, { type: 'run_start' }>), description }, ...rest]);
  assert.ok(raw.startsWith('  Restarts the kubelet on every node. What it does to the cluster: each node goes NotReady for a few\n  seconds.\n'), raw.slice(0, 300));
});
