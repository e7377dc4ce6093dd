// Loose ends found in use, each checked over SSH against the lab's real sshd (test/support/sshd-lab.ts).
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { TaskProgressEvent } from '../../src/report/events.js';
import { pruneRuns } from '../../src/executor/prune-runs.js';
import { listRunStates, rollbackRun } from '../../src/executor/rollback-run.js';
import { RunStore } from '../../src/journal/run-store.js';
import { freePort } from '../helpers/net.js';
import { runEnv, runPlaybook } from '../helpers/run.js';
import { processesMatching } from '../support/processes.js';
import { sshLabUnavailable, startSshLab } from '../support/sshd-lab.js';
import type { SshLab } from '../support/sshd-lab.js';

const skip = sshLabUnavailable();


/** Polls `probe` until `done` says so or `ms` pass; returns the last value. */
async function until<T>(probe: () => T, ms: number, done: (v: T) => boolean = Boolean): Promise<T> {
  const end = Date.now() + ms;
  let v = probe();
  while (!done(v) && Date.now() < end) {
    await new Promise((res) => setTimeout(res, 100));
    v = probe();
  }
  return v;
}


describe('loose ends, over SSH', { skip }, () => {
  let lab: SshLab;
  let dir: string;
  before(async () => {
    lab = await startSshLab({ hosts: 2 });
    dir = mkdtempSync(path.join(tmpdir(), 'kplay-loose-'));
  });
  after(async () => lab?.close());

  test('fetch of a /proc file (size 0 yet with content) saves all of it, with and without sudo', async () => {
    const r = await runPlaybook(
      dir,
      lab.inventory({ hosts: ['h1'], user: lab.users.sudoer }),
      `name: f
hosts: all
tasks:
  - name: cpuinfo
    fetch: {src: /proc/cpuinfo, dest: "${dir}/cpuinfo"}
  - name: meminfo
    become: true
    fetch: {src: /proc/meminfo, dest: "${dir}/meminfo"}
`,
    );
    assert.equal(r.summary.exitCode, 0);
    assert.match(readFileSync(path.join(dir, 'cpuinfo'), 'utf8'), /^processor\s*:/m);
    assert.match(readFileSync(path.join(dir, 'meminfo'), 'utf8'), /^MemTotal:/m);
  });

  test('a large upload reports how far it got about once a second, with growing byte counts, up to the whole file', async () => {
    writeFileSync(path.join(dir, 'big.bin'), Buffer.alloc(64 << 20, 7));
    const dest = `/tmp/kplay-big-${process.pid}-${Date.now()}.bin`;
    const t0 = performance.now();
    const r = await runPlaybook(dir, lab.inventory({ hosts: ['h1'] }), `name: u\nhosts: all\ntasks:\n  - name: up\n    copy: {src: big.bin, dest: ${dest}}\n`);
    const seconds = (performance.now() - t0) / 1000;
    rmSync(dest, { force: true });
    assert.equal(r.end('h1', 'up').status, 'changed');
    const progress = r.events.filter((e): e is TaskProgressEvent => e.type === 'task_progress' && e.host === 'h1');
    assert.ok(progress.length >= 2, `several progress events: ${JSON.stringify(progress.map((e) => e.message))}`);
    assert.ok(progress.length <= seconds + 2, `about one a second, not one per chunk: ${progress.length} in ${seconds.toFixed(1)}s`);
    const done = progress.map((e) => e.done!);
    assert.deepEqual(done, [...done].sort((a, b) => a - b), 'growing');
    assert.ok(done[0]! > 32 << 10, `the first one comes after a while, not at the first 32 KiB chunk: ${progress[0]!.message}`);
    assert.equal(done.at(-1), 64 << 20, 'the last one is the whole file');
    assert.equal(progress.at(-1)!.message, '64.0 of 64.0 MiB');
  });

  test("a tunnel on the port of the plan's own Delve, on a host sharing the controller's network, is refused before anything changes", async () => {
    const port = await freePort();
    const marker = `/tmp/kplay-tunnel-marker-${process.pid}-${Date.now()}`;
    const r = await runPlaybook(
      dir,
      lab.inventory({ hosts: ['h1'] }),
      `name: t
hosts: all
tasks:
  - name: Change something
    command: touch ${marker}
  - name: Start Delve
    dlv: {binary: /bin/true, listen: "127.0.0.1:${port}"}
  - name: Attach
    tunnel: {remote_port: ${port}}
`,
    );
    assert.notEqual(r.summary.exitCode, 0);
    assert.match(r.summary.refusals.join('\n'), new RegExp(`h1: task "Attach": local_port ${port} would collide with Delve's port on the host \\(task "Start Delve"\\), which shares this controller's network`));
    assert.ok(!r.events.some((e) => e.type === 'task_start'), 'no task started');
    assert.equal(existsSync(marker), false, 'nothing changed on the host');
  });

  test('a timed-out task that started a process through sudo has that process killed too', async () => {
    // A duration no other process has: sleep takes fractions.
    const duration = `300.${process.pid}${Date.now() % 1000}`;
    const r = await runPlaybook(
      dir,
      lab.inventory({ hosts: ['h2'], user: lab.users.sudoer }),
      `name: s\nhosts: all\ntasks:\n  - name: slow\n    command: sudo sleep ${duration}\n    timeout: 2s\n`,
    );
    const e = r.end('h2', 'slow');
    assert.equal(e.status, 'failed');
    assert.equal(e.timedOut, true);
    const left = await until(() => processesMatching(`sleep ${duration}`), 5000, (v) => v === '');
    assert.equal(left, '', 'the root-owned sleep is gone');
  });

  test('kplay runs --prune removes finished runs here and on the hosts, and keeps a run with changes left to undo', async () => {
    const state = mkdtempSync(path.join(tmpdir(), 'kplay-prune-state-'));
    const env = { KPLAY_STATE_DIR: state };
    const file = `/tmp/kplay-prune-${process.pid}-${Date.now()}`;
    writeFileSync(file, 'old\n');
    const replace = `  - name: Replace\n    copy: {content: "new\\n", dest: ${file}, backup: true}\n`;
    const inv = lab.inventory({ hosts: ['h1'] });
    const rolledBack = await runPlaybook(dir, inv, `name: a\nhosts: all\ntasks:\n${replace}  - name: Fail\n    command: "false"\n`, { env });
    const kept = await runPlaybook(dir, inv, `name: b\nhosts: all\ntasks:\n${replace}`, { env });
    const [a, b] = [rolledBack, kept].map((r) => (r.events[0] as { runId: string }).runId);
    // The first failed and was put back: nothing left to undo. The second keeps its change.
    const pending = Object.fromEntries(listRunStates(runEnv(env)).map((x) => [x.runId, x.pending]));
    assert.deepEqual(pending, { [a!]: 0, [b!]: 1 });
    const hostDir = new RunStore(state, a!).record().hostState.h1!.dir!;
    const onHost = (id: string) => [path.join(hostDir, 'runs', `${id}.ndjson`), path.join(hostDir, 'backup', id)];
    for (const p of [...onHost(a!), ...onHost(b!)]) assert.ok(existsSync(p), `${p} is there before`);

    const r = await pruneRuns({ env: runEnv(env), sshConfigFile: '/dev/null' });
    assert.deepEqual(r, { exitCode: 0, pruned: [a], problems: [] });
    for (const p of onHost(a!)) assert.equal(existsSync(p), false, `${p} is removed`);
    assert.equal(new RunStore(state, a!).exists(), false, "the controller's record is removed");
    for (const p of onHost(b!)) assert.ok(existsSync(p), `${p} stays: its change can still be undone`);
    assert.ok(new RunStore(state, b!).exists());
    assert.equal(readFileSync(file, 'utf8'), 'new\n');

    const again = await rollbackRun({ runId: b, env: runEnv(env), sshConfigFile: '/dev/null', reporter: () => ({ onEvent: () => undefined, close: async () => undefined }) });
    assert.equal(again.exitCode, 0, 'the kept run still rolls back');
    assert.equal(readFileSync(file, 'utf8'), 'old\n');
    rmSync(file, { force: true });
  });
});
