import type { Vars } from '../config/playbook.generated.js';
import type { KindDef } from './kind.js';

/** A task file and the variables its tasks get; expanded when the playbook is loaded. */
export interface IncludeArgs {
  file: string;
  vars: Vars;
}

export const include: KindDef<'include', IncludeArgs> = {
  kind: 'include',
  changes: false,
  shellFields: [],
  normalize: (w) => (typeof w === 'string' ? { file: w, vars: {} } : { file: w.file, vars: w.vars ?? {} }),
  preview: (a) => [`include ${a.file}`],
};
