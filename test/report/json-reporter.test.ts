import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RunEvent } from '../../src/report/events.js';
import { JsonReporter } from '../../src/report/json-reporter.js';
import { Capture, at, scenario } from './scenario.js';

async function run(events: RunEvent[]): Promise<string> {
  const out = new Capture();
  const reporter = new JsonReporter(out);
  for (const e of events) reporter.onEvent(e);
  await reporter.close();
  return out.text;
}

test('json: one parseable line per event, equal field by field to the event, and nothing else', async () => {
  const events = scenario();
  const text = await run(events);
  assert.ok(text.endsWith('\n'), 'the last line is terminated');
  const lines = text.slice(0, -1).split('\n');
  assert.equal(lines.length, events.length, 'no line besides the events');
  lines.forEach((line, i) => {
    const parsed = JSON.parse(line) as Record<string, unknown>;
    const given = events[i] as unknown as Record<string, unknown>;
    assert.deepEqual(Object.keys(parsed).sort(), Object.keys(given).sort(), `fields of event ${i}`);
    for (const k of Object.keys(given)) assert.deepEqual(parsed[k], given[k], `event ${i} (${given.type}) field ${k}`);
  });
});

test('json: fields come out in the documented order whatever order the engine built them in', async () => {
  const scrambled = {
    durationMs: 300,
    attempts: 1,
    status: 'ok',
    kind: 'command',
    name: 'Check kubelet',
    taskId: '1',
    host: 'cp1',
    time: at(0),
    type: 'task_end',
  } as RunEvent;
  const runEnd = {
    recap: { cp1: { unreachable: 0, skipped: 0, failed: 0, changed: 1, ok: 2 } },
    durationMs: 10,
    exitCode: 0,
    runId: 'r',
    time: at(1),
    type: 'run_end',
  } as RunEvent;
  const [a, b] = (await run([scrambled, runEnd])).trim().split('\n');
  assert.deepEqual(Object.keys(JSON.parse(a!)), ['type', 'time', 'host', 'taskId', 'name', 'kind', 'status', 'attempts', 'durationMs']);
  assert.equal(b, '{"type":"run_end","time":"2025-03-01T10:00:00.001Z","runId":"r","exitCode":0,"durationMs":10,' +
    '"recap":{"cp1":{"ok":2,"changed":1,"failed":0,"skipped":0,"unreachable":0}}}');
});

test('json: multi-line and non-ASCII output stays on its line and round-trips', async () => {
  const events = scenario().filter((e) => e.type === 'task_end' && e.status === 'failed');
  const text = await run(events);
  assert.equal(text.split('\n').length, 2);
  assert.deepEqual(JSON.parse(text), events[0]);
});
