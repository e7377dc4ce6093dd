// `kplay validate` of a playbook: every task rendered as the plan renders it, for a host nothing is
// known about, so that undefined variables and broken template files are found without an inventory.
import type { Diagnostic } from '../errors.js';
import type { Playbook } from '../config/model.js';
import type { Inventory, InventoryHost } from '../inventory/inventory.js';
import { RuntimeValue, runtimeObject } from '../template/index.js';
import { HostRenderer, ProblemSink } from './build.js';
import { sameProblem, TemplateFiles } from './template-files.js';

const ANY_HOST = '(any host)';

/**
 * Renders a playbook's variables, tasks and template files with the values the playbook itself
 * defines. What a host or the inventory gives is unknown here: `host` facts, and the variables in
 * `outside` (those the inventories being validated alongside define), are placeholders, as are
 * registered results. Problems not already in `problems` are added to it.
 */
export function checkPlaybookValues(playbook: Playbook, outside: ReadonlySet<string>, problems: Diagnostic[]): void {
  const inventory: Inventory = {
    file: '',
    vars: Object.fromEntries([...outside].map((name) => [name, new RuntimeValue(`${name} from the inventory`)])),
    secrets: [],
    hosts: new Map(),
    groups: new Map(),
  };
  const host: InventoryHost = { name: ANY_HOST, address: ANY_HOST, addressGiven: false, port: 22, connection: {}, groups: [], vars: {}, secrets: [], pos: playbook.hostsOrigin.pos };
  const sink = new ProblemSink();
  const renderer = new HostRenderer(playbook, inventory, host, {}, sink, { files: new TemplateFiles(), facts: runtimeObject('host') as unknown as Record<string, unknown> });
  renderer.planSteps(ANY_HOST);
  const found: Diagnostic[] = [];
  sink.flush(found, 1);
  for (const d of found) {
    if (problems.some((p) => sameProblem(p, d))) continue;
    // Without an inventory, a variable it would set looks undefined: say how to include it.
    const outsider = /undefined variable "/.test(d.message);
    problems.push(outsider ? { ...d, hint: `${d.hint ?? ''}; kplay validate knows only the playbook's own vars and those of inventories checked with it (kplay validate PLAYBOOK INVENTORY)` } : d);
  }
}
