import net from 'node:net';
import type { Tunnel } from '../config/playbook.generated.js';
import type { KindDef } from './kind.js';
import { portProblem, TaskFailed } from './kind.js';

export const tunnel: KindDef<'tunnel', Tunnel> = {
  kind: 'tunnel',
  changes: false,
  shellFields: [],
  renderedChecks: { remote_port: portProblem, local_port: portProblem },
  normalize: (w) => ({ ...w }),
  preview: (a) => [
    `forward controller ${a.local_host ?? '127.0.0.1'}:${a.local_port ?? a.remote_port} -> host ${a.remote_host ?? '127.0.0.1'}:${a.remote_port}`,
  ],
  // Before anything changes on the host: the controller's end must be free to listen on.
  async preflight(_ctx, a) {
    const host = a.local_host ?? '127.0.0.1';
    const port = Number(a.local_port ?? a.remote_port);
    return new Promise<string | undefined>((resolve) => {
      const probe = net.createServer();
      probe.once('error', (e: NodeJS.ErrnoException) =>
        resolve(e.code === 'EADDRINUSE' ? `port ${port} is already in use on the controller; choose another local port` : `cannot listen on ${host}:${port} on the controller: ${e.message}`),
      );
      probe.listen(port, host, () => probe.close(() => resolve(undefined)));
    });
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
