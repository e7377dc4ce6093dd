// How a --check --diff run reads in each reporter: "would change", the skipped commands, the diffs,
// the recap that says nothing changed; and no_log hiding a diff.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RunEvent } from '../../src/report/events.js';
import { createReporter } from '../../src/report/index.js';
import { JsonReporter } from '../../src/report/json-reporter.js';
import { ListrReporter } from '../../src/report/listr-reporter.js';
import { PlainReporter } from '../../src/report/plain-reporter.js';
import { showDiffs, unifiedDiff } from '../../src/report/diff-format.js';
import { Capture, at } from './scenario.js';

const DIFF = '--- before: /etc/app.conf\n+++ after: /etc/app.conf\n@@ -1,2 +1,2 @@\n listen: 0.0.0.0\n-port: 6443\n+port: 8443';

function events(): RunEvent[] {
  const t = (taskId: string, name: string, kind: string) => ({ host: 'cp1', taskId, name, kind });
  const recap = { ok: 0, changed: 1, failed: 0, skipped: 1, unreachable: 0 };
  return [
    { type: 'run_start', time: at(0), runId: 'r1', playbook: 'rotate', file: 'rotate.yaml', hosts: ['cp1'], check: true, diff: true },
    { type: 'host_start', time: at(1), host: 'cp1', address: '10.0.0.1' },
    { type: 'task_start', time: at(2), ...t('1', 'render', 'template'), preview: ['render app.conf.tmpl -> /etc/app.conf'] },
    {
      type: 'task_end',
      time: at(40),
      ...t('1', 'render', 'template'),
      status: 'changed',
      message: 'would write /etc/app.conf (30 bytes, was 30)',
      attempts: 1,
      durationMs: 38,
      check: 'predicted',
      diffs: [{ path: '/etc/app.conf', diff: DIFF }],
    },
    { type: 'task_start', time: at(41), ...t('2', 'restart', 'command'), preview: ['systemctl restart app'] },
    { type: 'task_end', time: at(42), ...t('2', 'restart', 'command'), status: 'skipped', message: 'would run (check mode)', attempts: 0, durationMs: 0, check: 'would_run' },
    { type: 'host_end', time: at(50), host: 'cp1', status: 'ok', recap },
    { type: 'run_end', time: at(60), runId: 'r1', exitCode: 0, durationMs: 60, recap: { cp1: recap } },
  ];
}

test('plain: a predicted change reads "would change", its diff follows under the host, the recap says nothing changed', async () => {
  const out = new Capture();
  const reporter = new PlainReporter({ out });
  for (const e of events()) reporter.onEvent(e);
  await reporter.close();
  const lines = out.text.split('\n');
  assert.ok(lines.includes('cp1 | 1 render ... would change (38ms)'), out.text);
  assert.ok(lines.includes('cp1 | 2 restart ... skipped: would run (check mode)'), out.text);
  const at = lines.indexOf('cp1 |   --- before: /etc/app.conf');
  assert.deepEqual(lines.slice(at, at + 6), ['cp1 |   --- before: /etc/app.conf', 'cp1 |   +++ after: /etc/app.conf', 'cp1 |   @@ -1,2 +1,2 @@', 'cp1 |    listen: 0.0.0.0', 'cp1 |   -port: 6443', 'cp1 |   +port: 8443']);
  assert.ok(lines.includes('host  ok  would change  failed  skipped  unreachable  status'), out.text);
  assert.ok(lines.includes('Check mode: nothing that changes a host ran; 1 task would change; 1 task not run, as it could change a host (check_mode: false runs one that only reads)'), out.text);
});

test('listr: the diffs are printed under the display, before the recap', { timeout: 5000 }, async () => {
  const out = new Capture(true);
  const reporter = new ListrReporter({ out, err: out });
  for (const e of events()) reporter.onEvent(e);
  await reporter.close();
  const text = out.text.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');
  const diffAt = text.lastIndexOf('DIFF');
  assert.ok(diffAt > 0 && diffAt < text.lastIndexOf('RECAP'), text);
  assert.ok(text.slice(diffAt).includes('cp1  1 render\n  --- before: /etc/app.conf\n  +++ after: /etc/app.conf\n  @@ -1,2 +1,2 @@\n   listen: 0.0.0.0\n  -port: 6443\n  +port: 8443'), text);
  assert.match(text, /would change/);
});

test('json: task_end carries check and diffs, run_start check and diff, in the documented order', async () => {
  const out = new Capture();
  const reporter = new JsonReporter(out);
  for (const e of events()) reporter.onEvent(e);
  await reporter.close();
  const lines = out.text.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.deepEqual(Object.keys(lines[0]!).slice(-2), ['check', 'diff']);
  const end = lines.find((l) => l.type === 'task_end' && l.taskId === '1')!;
  assert.deepEqual(Object.keys(end).slice(-2), ['check', 'diffs']);
  assert.deepEqual(end.diffs, [{ path: '/etc/app.conf', diff: DIFF }]);
  assert.equal(lines.find((l) => l.type === 'task_end' && l.taskId === '2')!.check, 'would_run');
});

test('no_log hides a task\'s diffs; secrets are masked in the diff text by every reporter', async () => {
  const out = new Capture();
  const reporter = createReporter({ output: 'json', isTTY: false, verbose: false, secrets: ['8443'], noLog: new Set(['2']), out });
  const withHidden = events().map((e) => (e.type === 'task_end' && e.taskId === '2' ? { ...e, diffs: [{ path: '/etc/secret', diff: '+hidden' }] } : e));
  for (const e of withHidden) reporter.onEvent(e);
  await reporter.close();
  assert.ok(!out.text.includes('+hidden'), out.text);
  assert.ok(!out.text.includes('/etc/secret'), out.text);
  assert.ok(out.text.includes('+port: ********'), out.text);
});

test('unified diffs: as diff -u numbers them, with the end of a file without newline said', async () => {
  assert.equal(await unifiedDiff('/f', 'a\nb\nc\n', 'a\nc\n'), '--- before: /f\n+++ after: /f\n@@ -1,3 +1,2 @@\n a\n-b\n c');
  assert.equal(await unifiedDiff('/f', 'a\nb\n', null), '--- before: /f\n+++ /dev/null\n@@ -1,2 +0,0 @@\n-a\n-b');
  assert.equal(await unifiedDiff('/f', 'a', 'a\n'), '--- before: /f\n+++ after: /f\n@@ -1 +1 @@\n-a\n\\ No newline at end of file\n+a');
  const far = Array.from({ length: 20 }, (_, i) => `l${i}`).join('\n');
  const hunks = (await unifiedDiff('/f', far, far.replace('l2\n', 'L2\n').replace('l17', 'L17'))).split('\n').filter((l) => l.startsWith('@@'));
  assert.deepEqual(hunks, ['@@ -1,6 +1,6 @@', '@@ -15,6 +15,6 @@']);
});

test('showDiffs: notes win, equal content shows nothing, text that is not UTF-8 is said to be binary, a multi-line secret is masked', async () => {
  const mask = (t: string) => t.replaceAll('line1\nline2', '********');
  const shown = await showDiffs(
    [
      { path: '/a', before: 'x', after: 'y', note: 'mode 644 -> 600' },
      { path: '/b', before: 'same', after: 'same' },
      { path: '/c', before: 'ok', after: 'bad \uFFFD' },
      { path: '/d', before: null, after: 'key: |\nline1\nline2\n' },
    ],
    mask,
  );
  assert.deepEqual(shown, [
    { path: '/a', note: 'mode 644 -> 600' },
    { path: '/c', note: 'binary content differs (no diff shown)' },
    { path: '/d', diff: '--- /dev/null\n+++ after: /d\n@@ -0,0 +1,2 @@\n+key: |\n+********' },
  ]);
});
