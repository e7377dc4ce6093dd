/**
 * Runs playbooks through the real engine with no root and no sshd: every inventory host is the
 * machine the test runs on, reached through a LocalConnection (the same `sh` sessions kplay uses
 * for `local: true` tasks), with kplay's state folders in a temporary folder. The engine, the
 * journal and the undo scripts are the production ones; only the transport differs from SSH.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { LocalConnection } from '../../src/connection/local.js';
import type { ResolvedSecret } from '../../src/config/secrets.js';
import type { RunOptions, RunResult } from '../../src/connection/types.js';
import { executePlan } from '../../src/executor/engine.js';
import type { RunSummary } from '../../src/executor/engine.js';
import { plan } from '../../src/index.js';
import { RunStore } from '../../src/journal/run-store.js';
import { resolveSecrets } from '../../src/config/secrets.js';
import { runSecretDecls } from '../../src/plan/secret-vars.js';
import type { JournalEntry } from '../../src/journal/run-store.js';
import type { RunEvent, TaskEndEvent } from '../../src/report/events.js';

/** A host that is this machine under an inventory name; `fault` makes chosen commands throw. */
export class NamedLocalConnection extends LocalConnection {
  override readonly name: string;
  fault: ((command: string) => Error | undefined) | undefined;
  closed = false;

  constructor(name: string) {
    super();
    this.name = name;
  }

  override async run(command: string, opts: RunOptions): Promise<RunResult> {
    const e = this.fault?.(command);
    if (e) throw e;
    return super.run(command, opts);
  }

  override async close(): Promise<void> {
    this.closed = true;
    await super.close();
  }
}

/** What a local run did. */
export interface LocalRan {
  summary: RunSummary;
  events: RunEvent[];
  /** The controller's journal of the run. */
  journal: JournalEntry[];
  /** The connections the engine opened, by host name. */
  conns: Map<string, NamedLocalConnection>;
  /** The task_end of a task on a host. */
  end(host: string, task: string): TaskEndEvent;
  /** Whether a task started on a host. */
  started(host: string, task: string): boolean;
}

export interface LocalRunOptions {
  /** Inventory host names (default h1). */
  hosts?: string[];
  forks?: number;
  signal?: AbortSignal;
  detach?: boolean;
  /** Called with each connection as the engine opens it (to set faults). */
  onConnect?: (conn: NamedLocalConnection) => void;
  /** Called with every event as it is reported. */
  onEvent?: (e: RunEvent, conns: Map<string, NamedLocalConnection>) => void;
  /** Changes files between planning and running (what the run then meets is not what the plan saw). */
  beforeRun?: () => void;
  /** Host names whose connection attempt fails. */
  unreachable?: string[];
  /** Several inventory hosts that share one state folder (one machine under two names). */
  sharedState?: boolean;
  /** --check: as `kplay run --check`, the run gets no store (nothing is journaled). */
  check?: boolean;
  /** --diff. */
  diff?: boolean;
  /** Where the playbook's secrets are read from, as a run reads them before it starts. */
  env?: NodeJS.ProcessEnv;
  /** The secrets' values, as the run reads them before it starts. */
  secrets?: ResolvedSecret[];
}

/** A marker task with its rollback, then `rest`: the marker shows whether the host was put back. */
export function withMarker(dir: string, rest: string, header = ''): string {
  return `name: t\nhosts: all\n${header}tasks:
  - name: marker
    command: touch ${dir}/m-{{host.name}}
    rollback: rm -f ${dir}/m-{{host.name}}
${rest}`;
}

/** A fresh folder for a test's files. */
export function tempDir(prefix = 'kplay-local-'): string {
  return mkdtempSync(path.join(tmpdir(), prefix));
}

/** Writes `playbook` into `dir` and runs it on local hosts; returns what happened. */
export async function runLocal(dir: string, playbook: string, opts: LocalRunOptions = {}): Promise<LocalRan> {
  const hosts = opts.hosts ?? ['h1'];
  const pbFile = path.join(dir, 'playbook.yaml');
  writeFileSync(pbFile, playbook);
  const invFile = path.join(dir, 'inventory.yaml');
  const hostLines = hosts.map((h) => `  ${h}:\n    address: 127.0.0.1\n    stateDir: ${JSON.stringify(path.join(dir, 'state', opts.sharedState ? 'shared' : h))}`);
  writeFileSync(invFile, `hosts:\n${hostLines.join('\n')}\n`);
  const planned = plan({ playbook: pbFile, inventory: invFile });
  opts.beforeRun?.();
  const runId = `test-${path.basename(dir)}`;
  const store = RunStore.create(path.join(dir, 'controller'), {
    runId,
    playbook: planned.plan.playbook.name,
    playbookFile: pbFile,
    inventoryFile: invFile,
    started: new Date().toISOString(),
    pid: process.pid,
    state: 'running',
    hosts: {},
    hostState: {},
  });
  const events: RunEvent[] = [];
  const conns = new Map<string, NamedLocalConnection>();
  const local = new LocalConnection();
  const summary = await executePlan(planned.plan, {
    runId,
    source: planned.source,
    forks: opts.forks ?? 10,
    store: opts.check ? undefined : store,
    local,
    signal: opts.signal,
    detach: opts.detach,
    check: opts.check,
    diff: opts.diff,
    secrets: opts.secrets ?? (opts.env ? resolveSecrets(runSecretDecls(planned.source.playbook, planned.source.inventory, hosts), opts.env).secrets : undefined),
    reporter: {
      onEvent: (e) => {
        events.push(e);
        opts.onEvent?.(e, conns);
      },
      close: async () => undefined,
    },
    connect: async (h) => {
      if (opts.unreachable?.includes(h.name)) {
        const { ConnectionLost } = await import('../../src/connection/types.js');
        throw new ConnectionLost(h.name, `${h.name}: connect ECONNREFUSED 127.0.0.1:22`, 'Check the address.');
      }
      const c = new NamedLocalConnection(h.name);
      conns.set(h.name, c);
      opts.onConnect?.(c);
      return c;
    },
  });
  await local.close();
  return {
    summary,
    events,
    journal: store.entries(),
    conns,
    end(host, task) {
      const e = events.find((x): x is TaskEndEvent => x.type === 'task_end' && x.host === host && x.name === task);
      if (!e) throw new Error(`no task_end for "${task}" on ${host}; events: ${JSON.stringify(events.map((x) => [x.type, 'host' in x ? x.host : '', 'name' in x ? x.name : '']))}`);
      return e;
    },
    started(host, task) {
      return events.some((x) => x.type === 'task_start' && x.host === host && x.name === task);
    },
  };
}
