import type { Tunnel } from '../config/playbook.generated.js';
import type { KindDef } from './kind.js';

export const tunnel: KindDef<'tunnel', Tunnel> = {
  kind: 'tunnel',
  changes: false,
  shellFields: [],
  normalize: (w) => ({ ...w }),
  preview: (a) => [
    `forward controller ${a.local_host ?? '127.0.0.1'}:${a.local_port ?? a.remote_port} -> host ${a.remote_host ?? '127.0.0.1'}:${a.remote_port}`,
  ],
};
