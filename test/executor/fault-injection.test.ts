// Throws from every phase of every task kind (preflight, prepareUndo, execute, the journal write,
// the undo) on one of two hosts, and checks the outcome: the task's end and code, the host's end,
// the exit code, the run's state, whether the host was put back, and that the run ends in time.
// The faults are plain Errors (the world's trouble) and, separately, a TypeError (a bug in kplay).
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { ExitCode } from '../../src/errors.js';
import { pendingUndos } from '../../src/journal/run-store.js';
import type { HostEndEvent } from '../../src/report/events.js';
import type { KindDef, KindName, TaskContext } from '../../src/tasks/kind.js';
import { taskKinds } from '../../src/tasks/registry.js';
import { runLocal, tempDir } from '../helpers/local-run.js';
import type { LocalRan } from '../helpers/local-run.js';

type Phase = 'preflight' | 'prepareUndo' | 'execute' | 'journal' | 'undo';
const PHASES: Phase[] = ['preflight', 'prepareUndo', 'execute', 'journal', 'undo'];

/** The arguments each kind is tried with; `include` is expanded when the playbook loads, so it has no run-time phase (undefined: not tried). */
function argsOf(kind: KindName, dir: string, port: number): string | undefined {
  const table: Record<KindName, string | undefined> = {
    command: `"true"`,
    copy: `{content: "x", dest: "${dir}/copy-{{host.name}}", backup: true}`,
    fetch: `{src: "${dir}/src.txt", dest: "${dir}/fetched-{{host.name}}"}`,
    template: `{src: t.hbs, dest: "${dir}/tpl-{{host.name}}", backup: true}`,
    wait_for: `{path: "${dir}/src.txt", timeout: 5s}`,
    read: `{path: "${dir}/src.txt", format: lines}`,
    move: `{src: "${dir}/mv-{{host.name}}", dest: "${dir}/moved-{{host.name}}"}`,
    dlv: `{binary: /bin/true, listen: "127.0.0.1:${port}"}`,
    tunnel: `{remote_port: ${port}, local_port: ${port + 1}}`,
    hold: `{timeout: 1s}`,
    assert: `{that: "(eq host.name host.name)"}`,
    debug: `{msg: "on {{host.name}}"}`,
    set_fact: `{seen: "{{host.name}}"}`,
    // A fail task fails on every host by design: the other hosts could not go on.
    fail: undefined,
    include: undefined,
    file: `{path: "${dir}/dir-{{host.name}}/sub", state: directory}`,
    lineinfile: `{path: "${dir}/li-{{host.name}}", line: "x", create: true}`,
  };
  return table[kind];
}

// Kinds whose real execute needs what a local host lacks (Delve, an SSH tunnel) succeed as stand-ins
// of themselves outside the phase under test.
const EXECUTE_STANDS_IN: KindName[] = ['dlv', 'tunnel'];

const originals = new Map(Object.entries(taskKinds)) as Map<KindName, KindDef<KindName, unknown>>;
function patch(kind: KindName, def: Partial<KindDef<KindName, unknown>>): void {
  (taskKinds as Record<string, unknown>)[kind] = { ...(taskKinds as Record<string, unknown>)[kind]!, ...def };
}
function restore(): void {
  for (const [k, v] of originals) (taskKinds as Record<string, unknown>)[k] = v;
}
after(restore);

/** The task under test on h1 (the marker, its rollback and the written rollbacks are commands too, and must work). */
const targeted = (ctx: TaskContext, args: unknown) => ctx.conn.name === 'h1' && !/\/(m|undone)-/.test(JSON.stringify(args));

function playbook(kind: KindName, dir: string, args: string, phase: Phase): string {
  // A kind without an undo of its own gets a written rollback, so that its change is journaled;
  // in the prepareUndo phase the kind's own (injected) prepareUndo must be the one called.
  const own = Boolean(originals.get(kind)!.prepareUndo);
  const rollback = !own && phase !== 'prepareUndo' ? `    rollback: {command: "touch ${dir}/undone-{{host.name}}"}\n` : '';
  return `name: faults\nhosts: all\ntasks:
  - name: marker
    command: touch ${dir}/m-{{host.name}}
    rollback: rm -f ${dir}/m-{{host.name}}
  - name: under test
    ${kind}: ${args}
${rollback}${phase === 'undo' ? `  - name: fail\n    command: '[ {{host.name}} != h1 ]'\n` : ''}`;
}

async function inject(kind: KindName, phase: Phase, error: () => Error): Promise<{ ran: LocalRan; dir: string }> {
  restore();
  const dir = tempDir(`kplay-fault-${kind}-${phase}-`);
  writeFileSync(path.join(dir, 'src.txt'), 'a\nb\n');
  writeFileSync(path.join(dir, 't.hbs'), 'host {{host.name}}\n');
  for (const h of ['h1', 'h2']) writeFileSync(path.join(dir, `mv-${h}`), 'to move\n');
  const port = 20000 + Math.floor(Math.random() * 20000);
  const orig = originals.get(kind)!;
  const benign = async () => ({ status: 'changed' as const });
  if (EXECUTE_STANDS_IN.includes(kind)) patch(kind, { execute: benign });
  if (phase === 'preflight') patch(kind, { preflight: async (ctx, a) => (targeted(ctx, a) ? Promise.reject(error()) : orig.preflight?.(ctx, a)) });
  if (phase === 'prepareUndo') patch(kind, { prepareUndo: async (ctx, a) => (targeted(ctx, a) ? Promise.reject(error()) : orig.prepareUndo?.(ctx as never, a)) });
  if (phase === 'execute') patch(kind, { execute: async (ctx, a) => (targeted(ctx, a) ? Promise.reject(error()) : (EXECUTE_STANDS_IN.includes(kind) ? benign() : orig.execute!(ctx, a))) });
  const ran = await runLocal(dir, playbook(kind, dir, argsOf(kind, dir, port)!, phase), {
    hosts: ['h1', 'h2'],
    onConnect: (c) => {
      if (c.name !== 'h1') return;
      if (phase === 'journal') c.fault = (cmd) => (cmd.includes('>> "$d/runs/"') && cmd.includes('"task":"under test"') ? error() : undefined);
    },
    onEvent: (e, conns) => {
      // The undo of the task under test begins on h1: from now on h1's commands fail.
      // (Undos run newest first, so the first one is that task's.)
      if (phase === 'undo' && e.type === 'task_start' && e.host === 'h1' && e.taskId.endsWith('.undo')) {
        conns.get('h1')!.fault = () => error();
      }
    },
  });
  restore();
  return { ran, dir };
}

function hostEnd(ran: LocalRan, host: string): HostEndEvent | undefined {
  return ran.events.find((e): e is HostEndEvent => e.type === 'host_end' && e.host === host);
}

const KINDS = (Object.keys(taskKinds) as KindName[]).filter((k) => argsOf(k, '', 0) !== undefined);
const BOUND = { timeout: 20_000 };

describe('a plain Error from any phase of any kind fails that task on that host; the host is put back', () => {
  for (const kind of KINDS) {
    for (const phase of PHASES) {
      test(`${kind}: ${phase}`, BOUND, async () => {
        const { ran, dir } = await inject(kind, phase, () => new Error(`injected into ${phase}`));
        assert.ok([...ran.conns.values()].every((c) => c.closed), 'every connection is closed');
        assert.equal(ran.summary.internalError, undefined);
        if (phase === 'preflight') {
          assert.equal(ran.summary.exitCode, ExitCode.invalidInput);
          assert.equal(ran.summary.state, 'refused');
          assert.match(ran.summary.refusals.join('\n'), /^h1: .*injected into preflight/);
          assert.equal(hostEnd(ran, 'h1')?.code, 'E_PREFLIGHT');
          assert.equal(ran.events.some((e) => e.type === 'task_start'), false, 'nothing ran anywhere');
          assert.equal(existsSync(`${dir}/m-h1`) || existsSync(`${dir}/m-h2`), false);
          return;
        }
        if (phase === 'undo') {
          assert.equal(ran.summary.exitCode, ExitCode.rollbackIncomplete);
          assert.equal(ran.summary.state, 'rollback_incomplete');
          assert.match(ran.summary.leftBehind.join('\n'), /^h1: .*injected into undo/);
          assert.ok(existsSync(`${dir}/m-h1`), 'an older change is left alone when a newer undo fails');
          const pending = pendingUndos(ran.journal).get('h1') ?? [];
          assert.deepEqual(pending.map((p) => p.intent.task), ['under test', 'marker'], 'the journal keeps both changes to undo');
          const undoEnd = ran.events.find((e) => e.type === 'task_end' && e.host === 'h1' && e.taskId.endsWith('.undo') && e.status === 'failed');
          assert.ok(undoEnd, 'the failed undo is reported');
          assert.equal(undoEnd.type === 'task_end' ? undoEnd.code : undefined, 'E_UNDO');
          return;
        }
        const end = ran.end('h1', 'under test');
        assert.equal(end.status, 'failed');
        assert.equal(end.code, phase === 'journal' ? 'E_JOURNAL' : 'E_TASK_FAILED');
        assert.match(end.message ?? '', new RegExp(`injected into ${phase}`));
        assert.equal(ran.summary.exitCode, ExitCode.taskFailed);
        assert.equal(hostEnd(ran, 'h1')?.status, 'failed');
        assert.equal(existsSync(`${dir}/m-h1`), false, 'h1 was put back');
        assert.equal(pendingUndos(ran.journal).get('h1'), undefined);
        // The other host went on and finished.
        assert.notEqual(ran.end('h2', 'under test').status, 'failed');
        assert.equal(hostEnd(ran, 'h2')?.status, 'ok');
        if (kind !== 'hold') assert.ok(existsSync(`${dir}/m-h2`), 'h2 keeps its changes');
      });
    }
  }
});

describe('a bug in kplay (a TypeError) stops every host, undoes the run and exits 1', () => {
  for (const kind of KINDS) {
    for (const phase of ['prepareUndo', 'execute'] as const) {
      test(`${kind}: ${phase}`, BOUND, async () => {
        const { ran, dir } = await inject(kind, phase, () => new TypeError(`cannot read properties of undefined (injected into ${phase})`));
        assert.equal(ran.summary.exitCode, ExitCode.internal);
        assert.match(ran.summary.internalError?.message ?? '', /injected/);
        assert.equal(ran.end('h1', 'under test').code, 'E_INTERNAL');
        assert.equal(ran.summary.state, 'rolled_back');
        for (const h of ['h1', 'h2']) assert.equal(existsSync(`${dir}/m-${h}`), false, `${h} was put back: ${JSON.stringify({ left: ran.summary.leftBehind, journal: ran.journal.filter((j) => j.host === h), events: ran.events.filter((e) => 'host' in e && e.host === h).map((e) => [e.type, 'name' in e ? e.name : '', 'status' in e ? e.status : '', 'message' in e ? e.message : ''])})}`);
        assert.equal(pendingUndos(ran.journal).size, 0);
        assert.ok([...ran.conns.values()].every((c) => c.closed));
      });
    }
  }
});
