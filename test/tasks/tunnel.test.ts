// The tunnel kind's preflight, on the controller's own connection (which shares its network).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LocalConnection } from '../../src/connection/local.js';
import type { PlannedStepView, PreflightContext } from '../../src/tasks/kind.js';
import { tunnel } from '../../src/tasks/tunnel.js';
import { freePort } from '../helpers/net.js';


const delve = (listen: string): PlannedStepView => ({ name: 'Start Delve', kind: 'dlv', action: 'run', local: false, args: { binary: '/bin/x', listen } });

async function preflight(steps: PlannedStepView[], args: { remote_port: number; local_port?: number; local_host?: string }) {
  const conn = new LocalConnection();
  const ctx: PreflightContext = {
    conn,
    become: false,
    timeoutMs: 10_000,
    baseDir: '.',
    renderText: (t) => t,
    progress: () => undefined,
    signal: new AbortController().signal,
    hostSteps: steps,
  };
  try {
    return await tunnel.preflight!(ctx, args);
  } finally {
    await conn.close();
  }
}

test("a tunnel whose local port is the plan's Delve port, on a host sharing the controller's network, is refused before anything runs", async () => {
  const port = await freePort();
  const refusal = await preflight([delve(`127.0.0.1:${port}`)], { remote_port: port });
  assert.match(refusal ?? '', new RegExp(`^local_port ${port} would collide with Delve's port on the host \\(task "Start Delve"\\), which shares this controller's network; choose another local_port`));
  assert.match(refusal!, /-e local_port=PORT/);
  assert.ok(await preflight([delve(`0.0.0.0:${port}`)], { remote_port: port, local_host: '127.0.0.1' }), 'Delve on every address takes loopback too');
});

test('no refusal when the ports or the addresses differ, or when no Delve is planned', async () => {
  const port = await freePort();
  assert.equal(await preflight([delve(`127.0.0.1:${port}`)], { remote_port: port, local_port: await freePort() }), undefined);
  assert.equal(await preflight([delve(`127.0.0.1:${port}`)], { remote_port: port, local_host: '127.0.0.3' }), undefined);
  assert.equal(await preflight([{ ...delve(`127.0.0.1:${port}`), action: 'skip' }], { remote_port: port }), undefined);
  assert.equal(await preflight([delve('127.0.0.1:<stdout of "port">')], { remote_port: port }), undefined);
  assert.equal(await preflight([], { remote_port: port }), undefined);
});
