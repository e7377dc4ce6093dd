import type { Tunnel } from '../config/playbook.generated.js';
import type { KindDef } from './kind.js';
import { TaskFailed } from './kind.js';

export const tunnel: KindDef<'tunnel', Tunnel> = {
  kind: 'tunnel',
  changes: false,
  shellFields: [],
  normalize: (w) => ({ ...w }),
  preview: (a) => [
    `forward controller ${a.local_host ?? '127.0.0.1'}:${a.local_port ?? a.remote_port} -> host ${a.remote_host ?? '127.0.0.1'}:${a.remote_port}`,
  ],
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
