import type { Template } from '../config/playbook.generated.js';
import { fileAttrs } from './copy.js';
import type { KindDef } from './kind.js';

export const template: KindDef<'template', Template> = {
  kind: 'template',
  changes: true,
  shellFields: [],
  normalize: (w) => ({ ...w }),
  preview: (a) => [`render ${a.src} -> ${a.dest}${fileAttrs(a)}${a.backup ? ', keeping a backup' : ''}`],
};
