import { readFileSync, readlinkSync } from 'node:fs';
import net from 'node:net';
import type { Tunnel } from '../config/playbook.generated.js';
import type { Connection } from '../connection/types.js';
import { listenAddress } from './dlv-listen.js';
import type { KindDef, PlannedStepView } from './kind.js';
import { portProblem, TaskFailed } from './kind.js';

/** Whether the controller can listen on host:port now. */
function localPortProblem(host: string, port: number): Promise<string | undefined> {
  return new Promise<string | undefined>((resolve) => {
    const probe = net.createServer();
    probe.once('error', (e: NodeJS.ErrnoException) =>
      resolve(e.code === 'EADDRINUSE' ? `port ${port} is already in use on the controller; choose another local port` : `cannot listen on ${host}:${port} on the controller: ${e.message}`),
    );
    probe.listen(port, host, () => probe.close(() => resolve(undefined)));
  });
}

/** Addresses that stand for every address of the machine. */
const ANY_ADDRESS = new Set(['', '0.0.0.0', '::']);

function sameListenAddress(a: string, b: string): boolean {
  const plain = (h: string) => (h === 'localhost' ? '127.0.0.1' : h);
  return ANY_ADDRESS.has(a) || ANY_ADDRESS.has(b) || plain(a) === plain(b);
}

/** A dlv step of the host's plan that will listen where the tunnel's controller end would. */
function delveOn(steps: readonly PlannedStepView[], host: string, port: number): PlannedStepView | undefined {
  return steps.find((s) => {
    if (s.kind !== 'dlv' || s.action !== 'run') return false;
    // A listen address known only at run time holds a <...> placeholder, which matches no port.
    const where = listenAddress(s.args as { listen?: string });
    return where.port === port && sameListenAddress(where.host, host);
  });
}

/** This machine's kernel (boot id) and network namespace, or undefined where they cannot be read. */
function controllerNetwork(): string | undefined {
  try {
    return `${readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim()} ${readlinkSync('/proc/self/ns/net')}`;
  } catch {
    return undefined;
  }
}

/**
 * Whether the host's processes share the controller's network: the same kernel and the same
 * network namespace (the controller itself, a container with host networking, a test lab).
 * Where that cannot be told, they are taken as apart: the check must not refuse what would work.
 */
async function sharesNetwork(conn: Connection): Promise<boolean> {
  const mine = controllerNetwork();
  if (!mine) return false;
  const r = await conn.run('printf "%s %s" "$(cat /proc/sys/kernel/random/boot_id)" "$(readlink /proc/self/ns/net)"', { timeoutMs: 30_000 });
  return r.rc === 0 && r.stdout.toString().trim() === mine;
}

export const tunnel: KindDef<'tunnel', Tunnel> = {
  kind: 'tunnel',
  changes: false,
  shellFields: [],
  renderedChecks: { remote_port: portProblem, local_port: portProblem },
  normalize: (w) => ({ ...w }),
  preview: (a) => [
    `forward controller ${a.local_host ?? '127.0.0.1'}:${a.local_port ?? a.remote_port} -> host ${a.remote_host ?? '127.0.0.1'}:${a.remote_port}`,
  ],
  // Before anything changes on the host: the controller's end must be free to listen on, now and
  // once the plan's own Delve listens, which on a host sharing this network takes the same port.
  async preflight(ctx, a) {
    const host = a.local_host ?? '127.0.0.1';
    const port = Number(a.local_port ?? a.remote_port);
    const now = await localPortProblem(host, port);
    if (now) return now;
    const delve = delveOn(ctx.hostSteps ?? [], host, port);
    if (!delve || !(delve.local || (await sharesNetwork(ctx.conn)))) return undefined;
    return (
      `local_port ${port} would collide with Delve's port on the host (task "${delve.name}"), which shares this controller's network; ` +
      'choose another local_port (with the shipped debug playbooks: -e local_port=PORT)'
    );
  },
  // The tunnel lives as long as the host's connection: until the run (or its hold) ends. With
  // become, root makes the host-side connections: a root Delve accepts only root's clients.
  async execute(ctx, a) {
    const remote = { host: a.remote_host ?? '127.0.0.1', port: Number(a.remote_port) };
    const local = { host: a.local_host ?? '127.0.0.1', port: Number(a.local_port ?? a.remote_port) };
    try {
      const t = await ctx.conn.forward(local, remote, { become: ctx.become });
      return { status: 'ok', message: `forwarding ${t.localHost}:${t.localPort} -> ${remote.host}:${remote.port} on the host` };
    } catch (e) {
      const inUse = (e as NodeJS.ErrnoException).code === 'EADDRINUSE';
      throw new TaskFailed(inUse ? `port ${local.port} is already in use on the controller` : `cannot forward ${local.host}:${local.port}: ${(e as Error).message}`);
    }
  },
};
