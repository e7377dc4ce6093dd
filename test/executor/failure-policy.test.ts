// Failure policies, run by the real engine on local hosts (no root, no sshd; see local-run.ts):
// serial stops after a batch with a failed host, any_errors_fatal and max_fail_percentage stop
// every host at the end of its current task, and rollback_on_failure: all puts every host back.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { ExitCode } from '../../src/errors.js';
import { FailurePolicy } from '../../src/executor/failure-policy.js';
import { pendingUndos } from '../../src/journal/run-store.js';
import type { HostEndEvent, RunEvent, RunStopEvent, TaskEndEvent } from '../../src/report/events.js';
import { runLocal, tempDir } from '../helpers/local-run.js';

const BOUND = { timeout: 60_000 };

function hostEnd(events: RunEvent[], host: string): HostEndEvent | undefined {
  return events.find((e): e is HostEndEvent => e.type === 'host_end' && e.host === host);
}

function stops(events: RunEvent[]): RunStopEvent[] {
  return events.filter((e): e is RunStopEvent => e.type === 'run_stop');
}

/** The undo steps a host ran, in order. */
function undos(events: RunEvent[], host: string): string[] {
  return events.filter((e): e is TaskEndEvent => e.type === 'task_end' && e.host === host && e.taskId.endsWith('.undo')).map((e) => e.name);
}

/**
 * Three tasks: a marker with its rollback, a check, and a second marker. The markers show what ran
 * and what was undone. The check fails on the hosts in `failing`.
 */
function playbook(dir: string, header: string, failing: string[]): string {
  return withCheck(dir, header, `${failing.map((h) => `[ {{host.name}} = ${h} ] && exit 1;`).join(' ')} true`);
}

/**
 * The check fails on the hosts in `failing` only once every host is inside it, and the others
 * stay in it for 3 s more: the failure always comes while they run it.
 */
function gatedPlaybook(dir: string, header: string, failing: string[], hosts: string[]): string {
  const all = hosts.map((h) => `[ -e ${dir}/in-${h} ]`).join(' && ');
  const isFailing = failing.map((h) => `[ {{host.name}} = ${h} ]`).join(' || ');
  return withCheck(dir, header, `touch ${dir}/in-{{host.name}}; if ${isFailing}; then until ${all}; do sleep 0.1; done; exit 1; fi; sleep 3`);
}

function withCheck(dir: string, header: string, check: string): string {
  return `name: policy\nhosts: all\n${header}tasks:
  - name: first
    command: touch ${dir}/first-{{host.name}}
    rollback:
      name: undo first
      command: rm -f ${dir}/first-{{host.name}}
  - name: check
    command: ${JSON.stringify(check)}
  - name: second
    command: touch ${dir}/second-{{host.name}}
    rollback:
      name: undo second
      command: rm -f ${dir}/second-{{host.name}}
`;
}

describe('serial: a batch with a failed host is the last', () => {
  test('later batches do not start, and the run says which hosts and why', BOUND, async () => {
    const dir = tempDir();
    const ran = await runLocal(dir, playbook(dir, 'serial: 1\n', ['h2']), { hosts: ['h1', 'h2', 'h3', 'h4'] });
    assert.equal(ran.summary.exitCode, ExitCode.taskFailed);
    assert.ok(existsSync(`${dir}/second-h1`), 'the batch before the failure is kept');
    assert.equal(existsSync(`${dir}/first-h2`), false, 'the failed host is put back');
    assert.equal(ran.started('h3', 'first'), false);
    assert.equal(ran.started('h4', 'first'), false);
    assert.equal(hostEnd(ran.events, 'h3'), undefined, 'a host never started has no end');
    const [stop, ...more] = stops(ran.events);
    assert.equal(more.length, 0);
    assert.deepEqual(stop!.notStarted, ['h3', 'h4']);
    assert.equal(stop!.rollbackAll, false);
    assert.match(stop!.reason, /^h2 failed in this batch, so later batches do not start/);
    assert.equal(ran.summary.state, 'committed');
  });

  test('the last batch failing stops nothing more (no stop is reported)', BOUND, async () => {
    const dir = tempDir();
    const ran = await runLocal(dir, playbook(dir, 'serial: 1\n', ['h2']), { hosts: ['h1', 'h2'] });
    assert.equal(ran.summary.exitCode, ExitCode.taskFailed);
    assert.equal(stops(ran.events).length, 0);
  });

  test('max_fail_percentage lets later batches run while a batch stays within it', BOUND, async () => {
    const dir = tempDir();
    // Batches of 2: one failure of two is 50%, not more than 50.
    const ran = await runLocal(dir, playbook(dir, 'serial: 2\nmax_fail_percentage: 50\n', ['h1']), { hosts: ['h1', 'h2', 'h3', 'h4'] });
    assert.equal(ran.summary.exitCode, ExitCode.taskFailed);
    for (const h of ['h2', 'h3', 'h4']) assert.ok(existsSync(`${dir}/second-${h}`), `${h} ran to its end`);
    assert.equal(stops(ran.events).length, 0);
  });
});

describe('any_errors_fatal and max_fail_percentage: every host stops at the end of its current task', () => {
  test('any_errors_fatal: the others finish the task they are in, start no other, and are put back', BOUND, async () => {
    const dir = tempDir();
    const hosts = ['h1', 'h2', 'h3'];
    const ran = await runLocal(dir, gatedPlaybook(dir, 'any_errors_fatal: true\n', ['h1'], hosts), { hosts });
    assert.equal(ran.summary.exitCode, ExitCode.taskFailed);
    for (const h of ['h2', 'h3']) {
      assert.equal(ran.end(h, 'check').status, 'changed', `${h}'s running task ran to its end`);
      assert.equal(ran.started(h, 'second'), false, `${h} started no task after the failure`);
      assert.equal(existsSync(`${dir}/first-${h}`), false, `${h}, stopped part-way, is put back`);
      const end = hostEnd(ran.events, h)!;
      assert.equal(end.status, 'failed');
      assert.equal(end.code, 'E_STOPPED');
      assert.match(end.message ?? '', /stopped before "second": h1 failed and any_errors_fatal is true/);
    }
    assert.equal(stops(ran.events).length, 1);
    assert.equal(pendingUndos(ran.journal).size, 0);
  });

  test('max_fail_percentage: 25 of 4 hosts: one failure (25%) goes on, the second (50%) stops the others', BOUND, async () => {
    const hosts = ['h1', 'h2', 'h3', 'h4'];
    const within = tempDir();
    const one = await runLocal(within, playbook(within, 'max_fail_percentage: 25\n', ['h1']), { hosts });
    assert.equal(stops(one.events).length, 0);
    for (const h of ['h2', 'h3', 'h4']) assert.ok(existsSync(`${within}/second-${h}`), `${h} ran to its end`);

    const over = tempDir();
    const two = await runLocal(over, gatedPlaybook(over, 'max_fail_percentage: 25\n', ['h1', 'h2'], hosts), { hosts });
    const [stop] = stops(two.events);
    assert.match(stop!.reason, /^2 of the batch's 4 hosts failed \(50%\), more than max_fail_percentage 25%$/);
    for (const h of ['h3', 'h4']) {
      assert.equal(two.started(h, 'second'), false);
      assert.equal(hostEnd(two.events, h)!.code, 'E_STOPPED');
    }
    assert.equal(two.summary.exitCode, ExitCode.taskFailed);
  });

  test("the percentage is Ansible's: stop only when more than N% of the batch failed", () => {
    const batch = ['a', 'b', 'c', 'd'];
    const at50 = new FailurePolicy({ maxFailPercentage: 50 });
    assert.equal(at50.hostFailed('a', batch), undefined);
    assert.equal(at50.hostFailed('b', batch), undefined, '2 of 4 is 50%, not more');
    assert.match(at50.hostFailed('c', batch) ?? '', /3 of the batch's 4 hosts failed \(75%\)/);
    assert.equal(at50.hostFailed('d', batch), undefined, 'the stop is decided once');
    const at0 = new FailurePolicy({ maxFailPercentage: 0 });
    assert.ok(at0.hostFailed('a', batch), 'with 0, any failure stops');
    const none = new FailurePolicy({});
    assert.equal(none.hostFailed('a', batch), undefined, 'without a policy the batch goes on');
    assert.match(none.afterBatch(batch) ?? '', /^a failed in this batch/);
    assert.equal(new FailurePolicy({ maxFailPercentage: 30 }).afterBatch(['x']), undefined);
  });
});

describe('rollback_on_failure: all', () => {
  test('a failure on one host puts every host back, finished ones too, each newest first; exit 2', BOUND, async () => {
    const dir = tempDir();
    for (const h of ['h1', 'h2', 'h3']) writeFileSync(path.join(dir, `app-${h}.conf`), `old ${h}\n`);
    const pb = `name: rotate\nhosts: all\nserial: 1\nrollback_on_failure: all\ntasks:
  - name: write the config
    copy: {content: "new {{host.name}}\\n", dest: "${dir}/app-{{host.name}}.conf", backup: true}
  - name: note the restart
    command: echo restarted >> ${dir}/restarts-{{host.name}}
    rollback:
      name: forget the restart
      command: rm -f ${dir}/restarts-{{host.name}}
  - name: health
    command: "[ {{host.name}} != h3 ]"
`;
    const ran = await runLocal(dir, pb, { hosts: ['h1', 'h2', 'h3'] });
    assert.equal(ran.summary.exitCode, ExitCode.taskFailed);
    assert.equal(ran.summary.state, 'rolled_back');
    for (const h of ['h1', 'h2', 'h3']) {
      assert.equal(readFileSync(path.join(dir, `app-${h}.conf`), 'utf8'), `old ${h}\n`, `${h}'s config is back`);
      assert.equal(existsSync(`${dir}/restarts-${h}`), false);
      assert.deepEqual(undos(ran.events, h).slice(0, 1), ['forget the restart'], `${h}: newest change undone first`);
      assert.equal(undos(ran.events, h).length, 2);
    }
    const [stop] = stops(ran.events);
    assert.equal(stop!.rollbackAll, true);
    assert.match(stop!.reason, /^h3 failed and rollback_on_failure is all: rolling back every host$/);
    assert.equal(pendingUndos(ran.journal).size, 0);
    assert.equal(ran.journal.filter((e) => e.phase === 'undone').length, 6);
  });

  test('later batches do not start, and --detach does not keep the changes', BOUND, async () => {
    const dir = tempDir();
    const ran = await runLocal(dir, playbook(dir, 'serial: 1\nrollback_on_failure: all\n', ['h2']), { hosts: ['h1', 'h2', 'h3'], detach: true });
    assert.equal(ran.summary.exitCode, ExitCode.taskFailed);
    assert.equal(ran.summary.state, 'rolled_back');
    assert.equal(existsSync(`${dir}/first-h1`), false);
    assert.equal(existsSync(`${dir}/second-h1`), false);
    assert.equal(ran.started('h3', 'first'), false);
    assert.deepEqual(stops(ran.events)[0]!.notStarted, ['h3']);
  });

  test('Ctrl-C is not a failure the policy reacts to: exit 130, no stop reported, every host put back', BOUND, async () => {
    const dir = tempDir();
    const ac = new AbortController();
    const pb = withCheck(dir, 'rollback_on_failure: all\n', 'sleep 20');
    const ran = await runLocal(dir, pb, {
      hosts: ['h1', 'h2'],
      signal: ac.signal,
      onEvent: (e) => {
        if (e.type === 'task_start' && e.name === 'check') setTimeout(() => ac.abort(), 200);
      },
    });
    assert.equal(ran.summary.exitCode, ExitCode.interrupted);
    assert.equal(stops(ran.events).length, 0);
    assert.equal(existsSync(`${dir}/first-h1`), false);
    assert.equal(existsSync(`${dir}/first-h2`), false);
  });

  test('without a failure the run commits as usual', BOUND, async () => {
    const dir = tempDir();
    const ran = await runLocal(dir, playbook(dir, 'rollback_on_failure: all\n', []), { hosts: ['h1', 'h2'] });
    assert.equal(ran.summary.exitCode, ExitCode.ok);
    assert.equal(ran.summary.state, 'committed');
    assert.ok(existsSync(`${dir}/second-h2`));
  });
});
