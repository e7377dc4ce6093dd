import type { Fetch } from '../config/playbook.generated.js';
import type { KindDef } from './kind.js';

export const fetch: KindDef<'fetch', Fetch> = {
  kind: 'fetch',
  changes: false,
  shellFields: [],
  normalize: (w) => ({ ...w }),
  preview: (a) => [`fetch ${a.src} -> controller:${a.dest}`],
};
