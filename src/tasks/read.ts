import type { Read } from '../config/playbook.generated.js';
import type { KindDef } from './kind.js';

export const read: KindDef<'read', Read> = {
  kind: 'read',
  changes: false,
  shellFields: [],
  normalize: (w) => ({ ...w }),
  preview: (a) => [`read ${a.path} as ${a.format}`],
};
