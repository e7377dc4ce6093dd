import type { Copy } from '../config/playbook.generated.js';
import type { KindDef } from './kind.js';

export const copy: KindDef<'copy', Copy> = {
  kind: 'copy',
  changes: true,
  shellFields: [],
  normalize: (w) => ({ ...w }),
  preview(a) {
    const from = a.src !== undefined ? a.src : `${Buffer.byteLength(a.content ?? '')} bytes of inline content`;
    return [`copy ${from} -> ${a.dest}${fileAttrs(a)}${a.backup ? ', keeping a backup' : ''}`];
  },
};

/** ", mode 0644, owner root:root" for previews of kinds that write files. */
export function fileAttrs(a: { mode?: string; owner?: string; group?: string }): string {
  const parts: string[] = [];
  if (a.mode) parts.push(`mode ${a.mode}`);
  if (a.owner || a.group) parts.push(`owner ${a.owner ?? ''}${a.group ? `:${a.group}` : ''}`);
  return parts.length ? ` (${parts.join(', ')})` : '';
}
