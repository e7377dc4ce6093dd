import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Reporter, RunEvent } from '../../src/report/events.js';
import { createReporter } from '../../src/report/index.js';
import { MASK, Redactor } from '../../src/report/redact.js';
import { Capture, at, scenario } from './scenario.js';

const SECRET = 's3cr3t-T0ken';
const OTHER = 'hunter2pass';

/** The scripted run with secrets in stdout, stderr, messages, previews, progress and a hint. */
function leakyScenario(): RunEvent[] {
  return scenario().map((e): RunEvent => {
    switch (e.type) {
      case 'task_start':
        return { ...e, preview: [...e.preview, `curl -H 'Authorization: Bearer ${SECRET}' https://10.0.0.1:6443/healthz`] };
      case 'task_progress':
        return { ...e, message: `${e.message} with token ${SECRET}` };
      case 'task_end':
        return {
          ...e,
          message: e.message ? `${e.message} (password ${OTHER})` : `login as admin:${OTHER}`,
          stdout: `${e.stdout ?? ''}token=${SECRET}\n`,
          stderr: e.stderr ? `${e.stderr}\nauth failed for ${SECRET}\n` : `warning: ${SECRET} expires soon\n`,
        };
      case 'host_end':
        return e.hint ? { ...e, hint: `${e.hint} Password was ${OTHER}.` } : e;
      default:
        return e;
    }
  });
}

async function drive(reporter: Reporter, events: RunEvent[]): Promise<void> {
  for (const e of events) reporter.onEvent(e);
  await reporter.close();
}

for (const [label, output, isTTY, verbose] of [
  ['json', 'json', false, false],
  ['plain', 'text', false, false],
  ['plain, verbose', 'text', false, true],
  ['listr', 'text', true, false],
  ['listr, verbose', 'text', true, true],
] as const) {
  test(`redact: no secret reaches the ${label} output`, { timeout: 5000 }, async () => {
    const shown = async (secrets: string[]): Promise<string> => {
      const out = new Capture(isTTY);
      const err = new Capture(isTTY);
      await drive(createReporter({ output, isTTY, verbose, secrets, out, err }), leakyScenario());
      return out.text + err.text;
    };
    const unmasked = await shown([]);
    assert.ok(unmasked.includes(SECRET) && unmasked.includes(OTHER), 'the scenario does put both secrets on screen');
    const text = await shown([SECRET, OTHER, 'abc']);
    assert.ok(!text.includes(SECRET), `${SECRET} leaked`);
    assert.ok(!text.includes(OTHER), `${OTHER} leaked`);
    assert.ok(text.includes(MASK), 'masked values are still shown as masked');
  });
}

test('redact: every string field, at any depth, keeping field order and the original event', () => {
  const r = new Redactor([SECRET]);
  const e: RunEvent = {
    type: 'run_end',
    time: at(0),
    runId: `run-${SECRET}`,
    exitCode: 0,
    durationMs: 1,
    recap: { cp1: { ok: 1, changed: 0, failed: 0, skipped: 0, unreachable: 0 } },
  };
  const copy = structuredClone(e);
  const masked = r.event(e);
  assert.equal(masked.runId, `run-${MASK}`);
  assert.deepEqual(Object.keys(masked), Object.keys(e));
  assert.deepEqual(masked.recap, e.recap);
  assert.deepEqual(e, copy, 'the engine\'s event is not changed');
  const start = r.event({ type: 'task_start', time: at(0), host: 'h', taskId: '1', name: 'n', kind: 'k', preview: [`a ${SECRET}`, 'b'] });
  assert.deepEqual(start.preview, [`a ${MASK}`, 'b']);
});

test('redact: longest first, overlaps masked whole, short secrets ignored', () => {
  const r = new Redactor(['pass', 'password123', 'abc', '', 'word12345']);
  assert.equal(r.text('my password123 is set'), `my ${MASK} is set`, 'not "********word123"');
  // Two secrets that overlap leave nothing of either in the clear.
  assert.equal(r.text('password12345!'), `${MASK}!`);
  assert.equal(r.text('pass pass'), `${MASK} ${MASK}`);
  assert.equal(r.text('abc is too short to be a secret'), 'abc is too short to be a secret');
  assert.equal(r.text('ünïcödé pass ✗'), `ünïcödé ${MASK} ✗`);
  assert.equal(new Redactor([]).text('anything'), 'anything');
});
