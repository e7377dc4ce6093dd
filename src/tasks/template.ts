import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Template } from '../config/playbook.generated.js';
import { backupUndo, fileAttrs, putFile } from './copy.js';
import type { FileUndo } from './copy.js';
import { checkFileWrite } from './file-check.js';
import type { KindDef, TaskContext } from './kind.js';
import { IO, TaskFailed } from './kind.js';

async function rendered(ctx: TaskContext, a: Template): Promise<Buffer> {
  const local = path.resolve(ctx.baseDir, a.src);
  let text: string;
  try {
    text = await readFile(local, 'utf8');
  } catch (e) {
    throw new TaskFailed(`cannot read template ${local}: ${(e as Error).message}`, {}, IO);
  }
  return Buffer.from(ctx.renderText(text, local));
}

export const template: KindDef<'template', Template, FileUndo> = {
  kind: 'template',
  changes: true,
  shellFields: [],
  templateFile: 'src',
  normalize: (w) => ({ ...w }),
  preview: (a) => [`render ${a.src} -> ${a.dest}${fileAttrs(a)}${a.backup ? ', keeping a backup' : ''}`],
  async prepareUndo(ctx, a) {
    return a.backup ? backupUndo(ctx, a.dest, await rendered(ctx, a)) : undefined;
  },
  async check(ctx, a) {
    return checkFileWrite(ctx, await rendered(ctx, a), a);
  },
  async execute(ctx, a) {
    return putFile(ctx, await rendered(ctx, a), a);
  },
};
