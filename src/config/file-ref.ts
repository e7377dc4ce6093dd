import path from 'node:path';
import { SHIPPED_DIR } from '../playbooks/shipped.js';

/** The prefix that names a file shipped with kplay, wherever kplay is installed: `kplay:lib/debug-session.yaml`. */
export const SHIPPED_PREFIX = 'kplay:';

/**
 * The absolute path of a file named in an include or vars_files entry: `kplay:NAME` is NAME in the
 * shipped playbooks folder (so a playbook outside the checkout, or after `npm install -g`, needs no
 * absolute path into kplay's install); anything else is relative to the file that names it.
 */
export function resolveFileRef(fromFile: string, name: string): string {
  if (name.startsWith(SHIPPED_PREFIX)) return path.join(SHIPPED_DIR, name.slice(SHIPPED_PREFIX.length));
  return path.resolve(path.dirname(fromFile), name);
}
