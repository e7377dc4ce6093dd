import type { KindDef } from './kind.js';

/** Names (not reserved, not secrets: see src/config/facts.ts) to values; strings are rendered as templates. */
export type SetFactArgs = Record<string, unknown>;

/**
 * Sets variables for the later tasks on the host, on the controller; changes nothing. They sit
 * where registered results sit: above the playbook's, inventory's and task vars, below -e.
 */
export const setFact: KindDef<'set_fact', SetFactArgs> = {
  kind: 'set_fact',
  changes: false,
  shellFields: [],
  normalize: (w) => ({ ...w }),
  preview: (a) => Object.entries(a).map(([name, value]) => `set ${name} = ${JSON.stringify(value)}`),
  plannedFacts: (a) => a,
  async execute(_ctx, a) {
    return { status: 'ok', facts: a, message: `set ${Object.keys(a).join(', ')}` };
  },
};
