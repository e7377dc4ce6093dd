// Secret variables and no_log, without root or sshd: declaring, planning (the dry run needs no
// value), masking, sealing in the journals, and undos that read a secret again when they run.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { InvalidInputError, plan, shownPlan, formatPlan } from '../src/index.js';
import type { Diagnostic } from '../src/index.js';
import { resolveSecrets } from '../src/config/secrets.js';
import type { ResolvedSecret } from '../src/config/secrets.js';
import { LocalConnection } from '../src/connection/local.js';
import { executePlan } from '../src/executor/engine.js';
import { appendHostJournal, readHostJournal } from '../src/journal/host-state.js';
import { RunStore } from '../src/journal/run-store.js';
import { sealSecrets, unsealSecrets } from '../src/journal/secret-seal.js';
import { runUndo } from '../src/undo/run-undo.js';
import { HostRenderer, ProblemSink } from '../src/plan/build.js';
import { runSecretDecls } from '../src/plan/secret-vars.js';
import type { Reporter, RunEvent } from '../src/report/events.js';
import { NoLogReporter } from '../src/report/no-log.js';
import { Redactor } from '../src/report/redact.js';
import { inFolder, writeTree } from './helpers/files.js';

const INVENTORY = 'hosts:\n  h1: {address: 192.0.2.1}\n';
// A value with a quote, a space and a $: its shell-quoted form differs from it.
const TOKEN = `t0k'en $x`;

function problemsOf(fn: () => unknown): Diagnostic[] {
  try {
    fn();
  } catch (e) {
    if (e instanceof InvalidInputError) return e.problems;
    throw e;
  }
  assert.fail('expected an InvalidInputError');
}

/** Runs fn with these environment variables set (undefined: unset), then puts the environment back. */
function withEnv<T>(vars: Record<string, string | undefined>, fn: () => T): T {
  const before = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  const set = (v: Record<string, string | undefined>) => {
    for (const [k, x] of Object.entries(v)) {
      if (x === undefined) delete process.env[k];
      else process.env[k] = x;
    }
  };
  set(vars);
  try {
    return fn();
  } finally {
    set(before);
  }
}

const SECRET_PLAYBOOK = `name: S
hosts: all
secrets:
  token: {env: KPLAY_TEST_TOKEN}
  key: {file: key.txt}
vars:
  header: "Bearer {{token}}"
tasks:
  - name: call
    command: curl -H {{header}} https://x/{{key}}
    rollback: echo {{token}} >> undone.txt
  - name: hidden
    no_log: true
    command: echo private {{host.name}}
    rollback: echo private undo
`;

test('the dry run shows ******** for secrets and needs no value; the JSON plan holds none', () => {
  const dir = writeTree({ 'pb.yaml': SECRET_PLAYBOOK, 'inv.yaml': INVENTORY });
  const unset = withEnv({ KPLAY_TEST_TOKEN: undefined }, () => plan({ playbook: path.join(dir, 'pb.yaml'), inventory: path.join(dir, 'inv.yaml') }));
  const step = unset.plan.hosts[0]!.steps[0]!;
  assert.deepEqual(step.preview, ['$ curl -H Bearer ******** https://x/********']);
  assert.equal(step.runtime, true, 'rendered again, with the values, when the run starts');
  assert.deepEqual(step.undo?.preview, ['$ echo ******** >> undone.txt']);

  const dir2 = writeTree({ 'pb.yaml': SECRET_PLAYBOOK, 'inv.yaml': INVENTORY, 'key.txt': 'filesecret\n' });
  const set = withEnv({ KPLAY_TEST_TOKEN: TOKEN }, () => plan({ playbook: path.join(dir2, 'pb.yaml'), inventory: path.join(dir2, 'inv.yaml') }));
  const json = JSON.stringify(shownPlan(set.plan));
  const text = formatPlan(set.plan);
  for (const shown of [json, text]) {
    assert.ok(!shown.includes('t0k') && !shown.includes('filesecret'), 'no value, even when it could be read');
    assert.match(shown, /Bearer \*{8}/);
  }
});

test('no_log hides a step\'s command in the plan text and its arguments in the JSON, not in the plan the run uses', () => {
  const dir = writeTree({ 'pb.yaml': SECRET_PLAYBOOK, 'inv.yaml': INVENTORY });
  const r = plan({ playbook: path.join(dir, 'pb.yaml'), inventory: path.join(dir, 'inv.yaml') });
  const step = r.plan.hosts[0]!.steps[1]!;
  assert.equal(step.noLog, true);
  assert.deepEqual(step.preview, ['(hidden: no_log)']);
  assert.deepEqual(step.undo?.preview, ['(hidden: no_log)'], 'the rollback inherits no_log');
  assert.deepEqual(step.args, { cmd: 'echo private h1' }, 'the run still has the command');
  assert.ok(!formatPlan(r.plan).includes('private'));
  const shown = JSON.stringify(shownPlan(r.plan));
  assert.ok(!shown.includes('private'), shown);
  assert.match(shown, /"args":"\(hidden: no_log\)"/);
});

test('no_log on an include hides every task inside and their rollbacks', () => {
  const dir = writeTree({
    'pb.yaml': 'name: I\nhosts: all\ntasks:\n  - name: inc\n    no_log: true\n    include: inner.yaml\n',
    'inner.yaml': '- name: a\n  command: echo inner-a\n  rollback: echo inner-undo\n',
    'inv.yaml': INVENTORY,
  });
  const r = plan({ playbook: path.join(dir, 'pb.yaml'), inventory: path.join(dir, 'inv.yaml') });
  const step = r.plan.hosts[0]!.steps[0]!;
  assert.deepEqual([step.noLog, step.preview, step.undo?.preview], [true, ['(hidden: no_log)'], ['(hidden: no_log)']]);
  assert.ok(!formatPlan(r.plan).includes('inner-'));
});

test('a secret cannot be set by -e, by vars or by the inventory: each is an error at its place', () => {
  const dir = writeTree({
    'pb.yaml': 'name: S\nhosts: all\nsecrets:\n  token: {env: T}\nvars:\n  token: x\ntasks:\n  - name: t\n    command: echo {{token}}\n',
    'ok.yaml': 'name: S\nhosts: all\nsecrets:\n  token: {env: T}\ntasks:\n  - name: t\n    command: echo {{token}}\n',
    'inv.yaml': 'vars: {token: y}\nhosts:\n  h1: {address: 192.0.2.1}\n',
  });
  const inVars = problemsOf(() => plan({ playbook: path.join(dir, 'pb.yaml'), inventory: path.join(dir, 'inv.yaml') }));
  assert.ok(inVars.some((p) => p.code === 'E_SECRET' && /both a secret and a variable/.test(p.message) && p.pos?.line === 6 && p.pos.col === 10), JSON.stringify(inVars));
  const inInventory = problemsOf(() => plan({ playbook: path.join(dir, 'ok.yaml'), inventory: path.join(dir, 'inv.yaml') }));
  assert.deepEqual(inInventory.map((p) => [p.code, p.pos?.line, p.pos?.col]), [['E_SECRET', 1, 15]]);
  assert.match(inInventory[0]!.message, /^"token" is a secret, and the inventory gives it a value in vars$/);
  const byE = problemsOf(() => plan({ playbook: path.join(dir, 'ok.yaml'), inventory: path.join(dir, 'inv.yaml'), extraVars: ['token=z'] }));
  assert.ok(byE.some((p) => p.code === 'E_SECRET' && /^-e token: "token" is a secret/.test(p.message)), JSON.stringify(byE));
});

test('a secret named host, or replaced by a task\'s vars or register, is an error at its place', () => {
  const dir = writeTree({
    'pb.yaml': 'name: S\nhosts: all\nsecrets:\n  host: {env: T}\n  token: {env: T}\ntasks:\n  - name: a\n    command: echo\n    register: token\n  - name: b\n    vars: {token: x}\n    command: echo\n',
    'inv.yaml': INVENTORY,
  });
  const problems = problemsOf(() => plan({ playbook: path.join(dir, 'pb.yaml'), inventory: path.join(dir, 'inv.yaml') }));
  assert.deepEqual(
    problems.map((p) => [p.code, p.pos?.line, p.message]),
    [
      ['E_SECRET', 4, '"host" is a name kplay gives every task; a secret cannot take it'],
      ['E_SECRET', 9, 'task "a": register would replace the secret "token" with its result'],
      ['E_SECRET', 10, 'task "b": vars gives the secret "token" a value'],
    ],
  );
});

test('a declaration that is neither env nor file is a schema error at its line', () => {
  const dir = writeTree({ 'pb.yaml': 'name: S\nhosts: all\nsecrets:\n  token: {env: T, file: f}\ntasks: []\n', 'inv.yaml': INVENTORY });
  const problems = problemsOf(() => plan({ playbook: path.join(dir, 'pb.yaml'), inventory: path.join(dir, 'inv.yaml') }));
  assert.ok(problems.some((p) => p.code === 'E_SCHEMA' && p.pos?.line === 4), JSON.stringify(problems));
});

test('a secret that cannot be read is an error at its declaration, naming the source and never a value', () => {
  const dir = writeTree({ 'pb.yaml': SECRET_PLAYBOOK, 'inv.yaml': INVENTORY, 'short.txt': 'ab\n' });
  const pb = plan({ playbook: path.join(dir, 'pb.yaml'), inventory: path.join(dir, 'inv.yaml') }).playbook;
  const r = resolveSecrets(pb.secrets, {});
  assert.deepEqual(
    r.problems.map((p) => [p.code, p.pos?.line, p.pos?.col, p.message]),
    [
      ['E_SECRET', 4, 10, 'secret "token": environment variable KPLAY_TEST_TOKEN is not set'],
      ['E_SECRET', 5, 8, `secret "key": file ${path.join(dir, 'key.txt')} does not exist`],
    ],
  );
  const short = resolveSecrets([{ name: 's', source: { file: path.join(dir, 'short.txt') }, pos: { file: 'x', line: 1, col: 1 } }], {});
  assert.match(short.problems[0]!.message, /shorter than 4 characters/);
  assert.ok(!short.problems[0]!.message.includes('ab'));
});

test('sealing replaces a secret (as is and shell-quoted) by a seal that names its source; unsealing reads it again', () => {
  const secrets: ResolvedSecret[] = [
    { name: 'token', source: { env: 'KPLAY_TEST_TOKEN' }, value: TOKEN },
    { name: 'key', source: { file: '/etc/some key' }, value: 'filesecret' },
  ];
  // As `{{token}}`, as part of a longer quoted value (`{{header}}`), and as a plain field.
  const args = { cmd: `echo 't0k'"'"'en $x' 'Bearer t0k'"'"'en $x' && use filesecret`, env: { A: TOKEN } };
  const sealed = sealSecrets(args, secrets);
  const text = JSON.stringify(sealed);
  assert.ok(!text.includes('t0k') && !text.includes('filesecret'), text);
  assert.match(text, /echo ⟦secret-quoted token env:KPLAY_TEST_TOKEN⟧ 'Bearer ⟦secret-in-quotes token env:KPLAY_TEST_TOKEN⟧'/);
  assert.match(text, /⟦secret-quoted key file:%2Fetc%2Fsome%20key⟧/, "a value of safe characters reads the same quoted");
  const missing = unsealSecrets(sealed, { KPLAY_TEST_TOKEN: TOKEN });
  assert.ok('problem' in missing);
  assert.match(missing.problem, /needs the secret "key" from file \/etc\/some key, and file \/etc\/some key does not exist/);
  const dir = writeTree({ k: 'filesecret\n' });
  const back = unsealSecrets(sealSecrets(args, [secrets[0]!, { ...secrets[1]!, source: { file: path.join(dir, 'k') } }]), { KPLAY_TEST_TOKEN: TOKEN });
  assert.ok('value' in back);
  assert.deepEqual(back.value, args);
});

test('masking covers a secret as is, shell-quoted and JSON-escaped, added after the start too', () => {
  const r = new Redactor([]);
  r.add([TOKEN]);
  const shown = r.text(`a ${TOKEN} b 't0k'"'"'en $x' c ${JSON.stringify(TOKEN)}`);
  assert.ok(!shown.includes('t0k'), shown);
  assert.equal(shown.split('********').length - 1, 3);
});

test('no_log: task output, progress and messages never reach a reporter', () => {
  const seen: RunEvent[] = [];
  const inner: Reporter = { onEvent: (e) => seen.push(e), close: async () => undefined };
  const r = new NoLogReporter(inner, new Set(['2']));
  const time = 't';
  r.onEvent({ type: 'task_start', time, host: 'h', taskId: '2', name: 'n', kind: 'command', preview: ['$ echo private'] });
  r.onEvent({ type: 'task_progress', time, host: 'h', taskId: '2', message: 'private line' });
  r.onEvent({ type: 'task_end', time, host: 'h', taskId: '2', name: 'n', kind: 'command', status: 'failed', message: 'exit status 1: private', rc: 1, stdout: 'private', stderr: 'private', attempts: 1, durationMs: 1 });
  r.onEvent({ type: 'task_end', time, host: 'h', taskId: '1', name: 'other', kind: 'command', status: 'changed', stdout: 'public', attempts: 1, durationMs: 1 });
  assert.ok(!JSON.stringify(seen.slice(0, 3)).includes('private'), JSON.stringify(seen));
  assert.equal((seen[2] as { rc?: number }).rc, 1, 'the exit status stays');
  assert.equal((seen[3] as { stdout?: string }).stdout, 'public', 'other tasks are untouched');
});

test('a rollback with a secret runs with its value, read again then; the journals on both sides hold only its seal', async () => {
  const dir = writeTree({
    'pb.yaml': `name: S
hosts: all
secrets:
  token: {env: KPLAY_TEST_TOKEN}
tasks:
  - name: use the secret
    command: printf '%s\\n' {{token}} > used.txt
    rollback: printf '%s\\n' {{token}} > undone.txt
  - name: fail, so that the host is put back
    command: echo printing {{token}}; exit 3
`,
  });
  writeFileSync(path.join(dir, 'inv.yaml'), `hosts:\n  h1: {address: 127.0.0.1, stateDir: ${JSON.stringify(path.join(dir, 'host-state'))}}\n`);
  const planned = withEnv({ KPLAY_TEST_TOKEN: undefined }, () => plan({ playbook: path.join(dir, 'pb.yaml'), inventory: path.join(dir, 'inv.yaml') }));
  const { secrets, problems } = resolveSecrets(planned.source.playbook.secrets, { KPLAY_TEST_TOKEN: TOKEN });
  assert.deepEqual(problems, []);

  const events: RunEvent[] = [];
  const redactor = new Redactor(secrets.map((s) => s.value));
  const store = RunStore.create(path.join(dir, 'state'), { runId: 'r1', playbook: 'S', playbookFile: '', inventoryFile: '', started: '', pid: process.pid, state: 'running', hosts: {}, hostState: {} });
  const local = new LocalConnection();
  const hostConn = new LocalConnection();
  process.env.KPLAY_TEST_TOKEN = TOKEN;
  try {
    const summary = await inFolder(dir, () =>
      executePlan(planned.plan, {
        runId: 'r1',
        source: planned.source,
        forks: 1,
        store,
        local,
        secrets,
        reporter: { onEvent: (e) => events.push(redactor.event(e)), close: async () => undefined },
        connect: async () => hostConn,
      }),
    );
    assert.equal(summary.exitCode, 2, JSON.stringify(events));
  } finally {
    delete process.env.KPLAY_TEST_TOKEN;
    await local.close();
    await hostConn.close();
  }
  assert.equal(readFileSync(path.join(dir, 'used.txt'), 'utf8'), `${TOKEN}\n`, 'the task ran with the value');
  assert.equal(readFileSync(path.join(dir, 'undone.txt'), 'utf8'), `${TOKEN}\n`, 'the rollback ran with the value, read again');
  const failed = events.find((e) => e.type === 'task_end' && e.taskId === '2') as { stdout?: string } | undefined;
  assert.equal(failed?.stdout, 'printing ********');

  const files = [...walk(path.join(dir, 'state')), ...walk(path.join(dir, 'host-state'))];
  assert.ok(files.some((f) => f.endsWith('r1.ndjson')), `the host journal is there: ${files.join(', ')}`);
  for (const f of files) assert.ok(!readFileSync(f, 'utf8').includes('t0k'), `${f} holds no value`);
  const journal = readFileSync(path.join(dir, 'state', 'runs', 'r1', 'journal.ndjson'), 'utf8');
  assert.match(journal, /⟦secret-quoted token env:KPLAY_TEST_TOKEN⟧/);
  assert.match(journal, /"phase":"undone"/);
});

test('an undo whose secret cannot be read again fails with a message naming it; its output is masked when it runs', async () => {
  const dir = writeTree({});
  const secret: ResolvedSecret = { name: 'token', source: { env: 'KPLAY_TEST_TOKEN' }, value: TOKEN };
  const spec = { name: 'undo', kind: 'command' as const, args: sealSecrets({ cmd: `echo {{x}} ${"'t0k'\"'\"'en $x'"}` }, [secret]), become: false, local: false, timeoutMs: 10_000, userWritten: true };
  const conn = new LocalConnection();
  try {
    const refused = await runUndo(spec, conn, conn, new AbortController().signal, { force: false }, {});
    assert.equal(refused.ok, false);
    assert.match(refused.message, /needs the secret "token" from environment variable KPLAY_TEST_TOKEN, and environment variable KPLAY_TEST_TOKEN is not set; make it available and run kplay rollback again/);
    const ran = await runUndo({ ...spec, args: { cmd: `${(spec.args as { cmd: string }).cmd}; exit 4` } }, conn, conn, new AbortController().signal, { force: false }, { KPLAY_TEST_TOKEN: TOKEN });
    assert.equal(ran.ok, false);
    assert.ok(!ran.message.includes('t0k'), ran.message);

    // The host's journal, written and read back over a connection, keeps the seal as it is.
    const ref = { become: false, dir: path.join(dir, 'hs') };
    await appendHostJournal(conn, ref, 'r2', [{ change: 1, host: 'h', taskId: '1', task: 't', phase: 'intent', undo: spec, time: 'now' }]);
    const back = await readHostJournal(conn, ref, 'r2');
    assert.deepEqual(back[0]!.undo, spec);
  } finally {
    await conn.close();
  }
});

test('at run time a host renderer has the values; the undo it plans is sealed', () => {
  const dir = writeTree({ 'pb.yaml': SECRET_PLAYBOOK, 'inv.yaml': INVENTORY, 'key.txt': 'filesecret\n' });
  const planned = plan({ playbook: path.join(dir, 'pb.yaml'), inventory: path.join(dir, 'inv.yaml') });
  const src = planned.source;
  const { secrets } = resolveSecrets(src.playbook.secrets, { KPLAY_TEST_TOKEN: TOKEN });
  const renderer = new HostRenderer(src.playbook, src.inventory, src.inventory.hosts.get('h1')!, src.opts, new ProblemSink(), { secrets });
  const step = renderer.step(src.playbook.tasks[0]!, 'h1', false);
  assert.deepEqual(step.args, { cmd: `curl -H 'Bearer t0k'"'"'en $x' https://x/filesecret` });
  assert.equal(step.runtime, false);
  assert.deepEqual(step.undo?.args, { cmd: 'echo ⟦secret-quoted token env:KPLAY_TEST_TOKEN⟧ >> undone.txt' });
});

test('the inventory says where a secret comes from per host or group; each host renders its own value', () => {
  const dir = writeTree({
    'pb.yaml': 'name: S\nhosts: all\nsecrets:\n  token: {env: KPLAY_TEST_TOKEN}\ntasks:\n  - name: t\n    command: use {{token}} {{node_key}}\n',
    'inv/inv.yaml': [
      'secrets:',
      '  node_key: {file: default.key}',
      'hosts:',
      '  h1: {address: 192.0.2.1}',
      '  h2: {address: 192.0.2.2, secrets: {token: {env: KPLAY_TEST_TOKEN_H2}}}',
      'groups:',
      '  g: {hosts: [h2], secrets: {node_key: {file: h2.key}}}',
      '',
    ].join('\n'),
    'inv/default.key': 'default-key\n',
    'inv/h2.key': 'h2-key\n',
  });
  const planned = plan({ playbook: path.join(dir, 'pb.yaml'), inventory: path.join(dir, 'inv/inv.yaml') });
  assert.deepEqual(planned.plan.hosts.map((h) => h.steps[0]!.preview), [['$ use ******** ********'], ['$ use ******** ********']]);
  const src = planned.source;
  const decls = runSecretDecls(src.playbook, src.inventory, ['h1', 'h2']);
  assert.deepEqual(decls.map((d) => [d.name, d.source]), [
    ['token', { env: 'KPLAY_TEST_TOKEN' }],
    ['node_key', { file: path.join(dir, 'inv/default.key') }],
    ['token', { env: 'KPLAY_TEST_TOKEN_H2' }],
    ['node_key', { file: path.join(dir, 'inv/h2.key') }],
  ]);
  const { secrets, problems } = resolveSecrets(decls, { KPLAY_TEST_TOKEN: 'token-all', KPLAY_TEST_TOKEN_H2: 'token-h2' });
  assert.deepEqual(problems, []);
  const args = ['h1', 'h2'].map((h) => new HostRenderer(src.playbook, src.inventory, src.inventory.hosts.get(h)!, src.opts, new ProblemSink(), { secrets }).step(src.playbook.tasks[0]!, h, false).args);
  assert.deepEqual(args, [{ cmd: 'use token-all default-key' }, { cmd: 'use token-h2 h2-key' }]);
});

test('an inventory secret that a task would replace (register), or with a value beside it in vars, is an error', () => {
  const dir = writeTree({
    'pb.yaml': 'name: S\nhosts: all\ntasks:\n  - name: t\n    command: echo\n    register: node_key\n',
    'inv.yaml': 'secrets:\n  node_key: {env: K}\nhosts:\n  h1: {address: 192.0.2.1, vars: {x: 1}, secrets: {x: {env: X}}}\n',
  });
  const problems = problemsOf(() => plan({ playbook: path.join(dir, 'pb.yaml'), inventory: path.join(dir, 'inv.yaml') }));
  assert.deepEqual(problems.map((p) => [p.code, p.pos?.line, p.message]), [['E_SECRET', 4, '"x" is both a secret and a variable with a value in vars']]);
  writeFileSync(path.join(dir, 'inv.yaml'), 'secrets:\n  node_key: {env: K}\nhosts:\n  h1: {address: 192.0.2.1}\n');
  const again = problemsOf(() => plan({ playbook: path.join(dir, 'pb.yaml'), inventory: path.join(dir, 'inv.yaml') }));
  assert.deepEqual(again.map((p) => [p.code, p.pos?.line, p.message]), [['E_SECRET', 6, 'task "t": register would replace the secret "node_key" with its result']]);
});

function* walk(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) yield* walk(p);
    else yield p;
  }
}
