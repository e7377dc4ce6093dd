import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Template } from '../config/playbook.generated.js';
import { fileAttrs, putFile } from './copy.js';
import type { KindDef } from './kind.js';
import { TaskFailed } from './kind.js';

export const template: KindDef<'template', Template> = {
  kind: 'template',
  changes: true,
  shellFields: [],
  normalize: (w) => ({ ...w }),
  preview: (a) => [`render ${a.src} -> ${a.dest}${fileAttrs(a)}${a.backup ? ', keeping a backup' : ''}`],
  async execute(ctx, a) {
    const local = path.resolve(ctx.baseDir, a.src);
    let text: string;
    try {
      text = await readFile(local, 'utf8');
    } catch (e) {
      throw new TaskFailed(`cannot read template ${local}: ${(e as Error).message}`);
    }
    return putFile(ctx, Buffer.from(ctx.renderText(text, local)), a);
  },
};
