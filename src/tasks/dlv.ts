import type { Dlv } from '../config/playbook.generated.js';
import { shellQuote } from '../template/index.js';
import { stringify } from './command.js';
import type { KindDef } from './kind.js';

/** Delve's arguments, normalized: `args` is either a list (one argument each) or a shell fragment. */
export type DlvArgs = Omit<Dlv, 'env'> & { env?: Record<string, string> };

/** Loopback by default: Delve's port has no authentication. */
export const DEFAULT_DLV_LISTEN = '127.0.0.1:2345';

/** The dlv command line that the launch runs (without the detaching wrapper). */
export function dlvCommandLine(a: DlvArgs): string {
  const parts = [
    shellQuote(a.dlv ?? 'dlv'),
    'exec',
    shellQuote(a.binary),
    '--headless',
    `--listen=${shellQuote(a.listen ?? DEFAULT_DLV_LISTEN)}`,
    '--api-version=2',
    '--accept-multiclient',
  ];
  if (a.continue) parts.push('--continue');
  const args = Array.isArray(a.args) ? a.args.map(shellQuote).join(' ') : (a.args ?? '');
  if (args) parts.push('--', args);
  return parts.join(' ');
}

export const dlv: KindDef<'dlv', DlvArgs> = {
  kind: 'dlv',
  changes: true,
  shellFields: ['args'],
  normalize: (w) => ({ ...w, env: stringify(w.env) }),
  preview(a) {
    const lines = [`start detached: ${dlvCommandLine(a)}`];
    if (a.log) lines.push(`  (output to ${a.log})`);
    return lines;
  },
};
