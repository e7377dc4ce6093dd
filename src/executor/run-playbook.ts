import { randomBytes } from 'node:crypto';
import pLimit from 'p-limit';
import type { HostKeyPolicy } from '../connection/known-hosts.js';
import { LocalConnection } from '../connection/local.js';
import { connectSsh } from '../connection/ssh.js';
import type { SshTarget } from '../connection/ssh.js';
import { durationMs } from '../config/duration.js';
import { resolveSecrets } from '../config/secrets.js';
import { connectionSecretValues, runSecretDecls } from '../plan/secret-vars.js';
import { InvalidInputError } from '../errors.js';
import type { InventoryHost } from '../inventory/inventory.js';
import type { SourcedPlan } from '../plan/build.js';
import type { Reporter } from '../report/events.js';
import { RunStore, stateDir } from '../journal/run-store.js';
import { executePlan } from './engine.js';
import type { RunSummary } from './engine.js';

/** How to run a planned playbook for real. */
export interface ExecuteRequest {
  forks?: number;
  /** Take hosts locked by another run. */
  force?: boolean;
  /** End with the changes in place; `kplay rollback RUN_ID` undoes them. */
  detach?: boolean;
  /** --check: nothing that changes a host runs, and the run is not recorded (it leaves nothing to undo). */
  check?: boolean;
  /** --diff: file-writing tasks report what they change. */
  diff?: boolean;
  /** Called with the run id once the run is recorded (the CLI prints it for --detach and crashes). */
  onRunId?: (runId: string) => void;
  reporter: Reporter;
  /** Environment for secrets named in the inventory (passwordEnv, ...); process.env by default. */
  env?: NodeJS.ProcessEnv;
  signal?: AbortSignal;
  /** ~/.ssh/config by default; tests point elsewhere. */
  sshConfigFile?: string;
}

/** SSH logins (connection and first shell) in flight at once, like sshd's own MaxStartups default. */
export const MAX_STARTUPS = 10;

/** An inventory host as SSH connection settings. */
export function sshTarget(h: InventoryHost): SshTarget {
  const c = h.connection;
  return {
    name: h.name,
    // Left unset when the inventory does not say, so that ~/.ssh/config can.
    address: h.addressGiven ? h.address : undefined,
    // A cluster Node's own address stays under ~/.ssh/config's HostName for its name.
    fallbackAddress: h.addressGiven || h.address === h.name ? undefined : h.address,
    port: c.port,
    user: c.user,
    identityFile: c.identityFile,
    passphraseEnv: c.passphraseEnv,
    passwordEnv: c.passwordEnv,
    becomePasswordEnv: c.becomePasswordEnv,
    knownHosts: c.knownHosts,
    hostKeyChecking: c.hostKeyChecking as HostKeyPolicy | undefined,
    jump: c.jump === undefined ? undefined : Array.isArray(c.jump) ? c.jump : [c.jump],
    connectTimeoutMs: c.connectTimeout === undefined ? undefined : durationMs(c.connectTimeout, 10_000),
  };
}

/** The values of every secret that these connection settings name. */
export function targetSecrets(targets: SshTarget[], env: NodeJS.ProcessEnv): string[] {
  return connectionSecretValues(targets, env);
}

/** Runs a plan over SSH, journaling its changes under the state folder. */
export async function executeOverSsh(planned: SourcedPlan, req: ExecuteRequest): Promise<RunSummary> {
  const env = req.env ?? process.env;
  const { plan, source } = planned;
  const inv = source.inventory;
  // Before anything is recorded or connected: a run without its secrets would fail half-way.
  const { secrets, problems } = resolveSecrets(runSecretDecls(source.playbook, inv, plan.hosts.map((h) => h.name)), env);
  if (problems.length) throw new InvalidInputError(problems);
  const local = new LocalConnection();
  const runId = `${new Date().toISOString().replace(/[-:]/g, '').slice(0, 15)}-${randomBytes(3).toString('hex')}`;
  // A check run leaves nothing to undo: no record here, no lock or journal on the hosts.
  const store = req.check ? undefined : RunStore.create(stateDir(env), {
    runId,
    playbook: plan.playbook.name,
    playbookFile: source.playbook.absPath,
    inventoryFile: inv.src?.absPath ?? inv.file,
    started: new Date().toISOString(),
    pid: process.pid,
    state: 'running',
    hosts: Object.fromEntries(plan.hosts.map((h) => [h.name, sshTarget(inv.hosts.get(h.name)!)])),
    hostState: Object.fromEntries(plan.hosts.map((h) => [h.name, { become: h.steps.some((s) => s.become), dir: inv.hosts.get(h.name)!.connection.stateDir }])),
  });
  if (store) req.onRunId?.(runId);
  const targets = new Map([...inv.hosts.values()].map((h) => [h.name, sshTarget(h)]));
  // Logins cost the hosts CPU (the login shell and its profile run once per connection); a burst
  // of a hundred at once made them take three times longer in all than ten at a time.
  const startLimit = pLimit(MAX_STARTUPS);
  try {
    return await executePlan(plan, {
      runId,
      source,
      store,
      force: req.force,
      detach: req.detach,
      check: req.check,
      diff: req.diff,
      forks: req.forks ?? 20,
      reporter: req.reporter,
      local,
      signal: req.signal,
      secrets,
      connect: (h) =>
        startLimit(async () => {
          const conn = await connectSsh(sshTarget(h), { env, sshConfigFile: req.sshConfigFile, lookup: (name) => targets.get(name) });
          const hp = plan.hosts.find((x) => x.name === h.name);
          await conn.warm(Boolean(hp?.steps.some((s) => s.become)));
          return conn;
        }),
    });
  } finally {
    await local.close();
  }
}
