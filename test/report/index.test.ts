import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createReporter } from '../../src/report/index.js';
import type { ReporterOptions } from '../../src/report/index.js';
import { Capture, scenario } from './scenario.js';

async function output(opts: Omit<ReporterOptions, 'out' | 'err' | 'secrets'>, env: NodeJS.ProcessEnv = {}): Promise<string> {
  const out = new Capture(opts.isTTY);
  const reporter = createReporter({ ...opts, secrets: [], out, err: out }, env);
  for (const e of scenario()) reporter.onEvent(e);
  await reporter.close();
  return out.text;
}

const CURSOR_HIDE = '\x1b[?25l';
const SGR = /\x1b\[\d+(;\d+)*m/;

test('createReporter: json prints NDJSON even on a terminal', { timeout: 5000 }, async () => {
  const text = await output({ output: 'json', isTTY: true, verbose: false });
  assert.equal(text.trim().split('\n').length, scenario().length);
  assert.ok(!text.includes('\x1b'));
});

test('createReporter: text off a terminal prints plain lines', async () => {
  const text = await output({ output: 'text', isTTY: false, verbose: false }, { FORCE_COLOR: '1' });
  assert.ok(text.includes('cp1 | 2 Stop the static pod ... changed (1.2s)'));
  assert.ok(!text.includes('\x1b'));
});

test('createReporter: text on a terminal draws with listr2, in color unless NO_COLOR', { timeout: 5000 }, async () => {
  const colored = await output({ output: 'text', isTTY: true, verbose: false }, {});
  assert.ok(colored.includes(CURSOR_HIDE));
  assert.match(colored, SGR);
  const plain = await output({ output: 'text', isTTY: true, verbose: false }, { NO_COLOR: '1' });
  assert.ok(plain.includes(CURSOR_HIDE));
  assert.doesNotMatch(plain, SGR);
});

test('createReporter: a dumb terminal gets plain lines', async () => {
  const text = await output({ output: 'text', isTTY: true, verbose: false }, { TERM: 'dumb' });
  assert.ok(text.startsWith('Running restart-kubelet'));
});
