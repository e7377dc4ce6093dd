import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { plan } from '../../src/index.js';
import type { RunSummary } from '../../src/executor/engine.js';
import { executeOverSsh } from '../../src/executor/run-playbook.js';
import type { RunEvent, TaskEndEvent } from '../../src/report/events.js';

/** What a run did, as the events a reporter would have received. */
export interface Ran {
  summary: RunSummary;
  events: RunEvent[];
  /** The task_end event of a task on a host. */
  end(host: string, task: string): TaskEndEvent;
}

// Runs started by tests keep their journals here, not in the user's own state folder.
const STATE_DIR = mkdtempSync(path.join(tmpdir(), 'kplay-test-state-'));

/** The environment test runs use: no agent, a state folder of the test process's own. */
export function runEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { ...process.env, SSH_AUTH_SOCK: '', KPLAY_STATE_DIR: STATE_DIR, ...extra };
}

/** Writes a playbook into `dir` and runs it over SSH with the given inventory, collecting events. */
export async function runPlaybook(
  dir: string,
  inventory: string,
  playbook: string,
  opts: { env?: NodeJS.ProcessEnv; limit?: string; forks?: number; extraVars?: string[]; signal?: AbortSignal; file?: string } = {},
): Promise<Ran> {
  const file = path.join(dir, opts.file ?? 'playbook.yaml');
  writeFileSync(file, playbook);
  const p = plan({ playbook: file, inventory, limit: opts.limit, extraVars: opts.extraVars });
  const events: RunEvent[] = [];
  const summary = await executeOverSsh(p, {
    forks: opts.forks,
    env: runEnv(opts.env),
    signal: opts.signal,
    sshConfigFile: '/dev/null',
    reporter: { onEvent: (e) => events.push(e), close: async () => undefined },
  });
  return {
    summary,
    events,
    end(host, task) {
      const e = events.find((x): x is TaskEndEvent => x.type === 'task_end' && x.host === host && x.name === task);
      if (!e) throw new Error(`no task_end for "${task}" on ${host}; events: ${JSON.stringify(events.map((x) => [x.type, 'host' in x ? x.host : '', 'name' in x ? x.name : '']))}`);
      return e;
    },
  };
}
