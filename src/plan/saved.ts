// A plan saved with `kplay plan -o json`, read back for `kplay run --plan FILE`: it is run only
// if everything it was built from is unchanged and building it again gives the same plan.
import { readFileSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import path from 'node:path';
import { InvalidInputError, KplayError } from '../errors.js';
import { displayPath, fileProblem } from '../config/yaml-source.js';
import { PLAN_VERSION } from './plan.js';
import type { Plan, PlanInputs } from './plan.js';
import { sha256 } from './template-files.js';
import { MASK } from '../report/redact.js';

const REMAKE = 'Make the plan again (kplay plan PLAYBOOK -i INVENTORY -o json > FILE), review it, and run that.';

function planError(message: string, hint = REMAKE): KplayError {
  return new KplayError('E_PLAN', message, { hint });
}

/** Reads a saved plan and checks its shape and version; its inputs are not checked yet. */
export function readSavedPlan(file: string): Plan {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new InvalidInputError([fileProblem(path.resolve(file), err)]);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw planError(`--plan ${file}: not a plan saved with -o json (it is not JSON)`, 'Save it with: kplay plan PLAYBOOK -i INVENTORY -o json > FILE.');
  }
  const saved = value as Partial<Plan> | null;
  if (!saved || typeof saved !== 'object' || !('planVersion' in saved)) {
    throw planError(`--plan ${file}: not a plan saved with -o json (it has no planVersion)`, 'Save it with: kplay plan PLAYBOOK -i INVENTORY -o json > FILE.');
  }
  if (saved.planVersion !== PLAN_VERSION) {
    throw planError(`--plan ${file}: plan version ${JSON.stringify(saved.planVersion)} is not the one this kplay runs (${PLAN_VERSION})`);
  }
  if (!validInputs(saved.inputs)) throw planError(`--plan ${file}: the plan's inputs are missing or malformed`);
  return saved as Plan;
}

function validInputs(i: PlanInputs | undefined): i is PlanInputs {
  const strings = (v: unknown): boolean => Array.isArray(v) && v.every((x) => typeof x === 'string');
  return (
    !!i &&
    typeof i.playbook === 'string' &&
    typeof i.inventory === 'string' &&
    typeof i.cwd === 'string' &&
    strings(i.extraVars) &&
    Array.isArray(i.files) &&
    i.files.every((f) => f && typeof f.path === 'string' && typeof f.sha256 === 'string')
  );
}

/** Refuses a plan whose files changed (or whose file names mean something else from here) since it was made. */
export function checkPlanInputs(inputs: PlanInputs): void {
  // A secret in an -e value was masked when the plan was printed: what was saved is not the value.
  const masked = inputs.extraVars.find((e) => e.includes(MASK));
  if (masked !== undefined) {
    throw planError(
      `the plan's -e value ${JSON.stringify(masked.split('=')[0])} holds a masked secret, so the saved plan cannot give it back`,
      'Declare the value as a secret (secrets: in the playbook, from an environment variable or a file), or run without --plan.',
    );
  }
  if (inputs.cwd !== process.cwd()) {
    throw planError(`this plan was made in ${inputs.cwd}, and the file names it shows are relative to that folder`, `Run it from there: cd ${inputs.cwd} && kplay run --plan FILE.`);
  }
  for (const f of inputs.files) {
    let text: Buffer;
    try {
      text = readFileSync(f.path);
    } catch {
      throw planError(`${displayPath(f.path)} was removed or cannot be read since the plan was made`);
    }
    if (sha256(text) !== f.sha256) throw planError(`${displayPath(f.path)} changed since the plan was made`);
  }
}

/** Refuses a plan that building it again from the same files does not reproduce. */
export function checkSamePlan(saved: Plan, rebuilt: Plan): void {
  // What a run would use is the rebuilt plan as it serialises, which is what was saved.
  const now: unknown = JSON.parse(JSON.stringify(rebuilt));
  if (isDeepStrictEqual(saved, now)) return;
  const at = firstDifference(saved, now, '');
  throw planError(
    `building the plan again from the same files gives a different plan (at ${at.path || 'the top'}: saved ${at.saved}, now ${at.now})`,
    `Something besides the files changed (a value from the environment, a kplay upgrade), or the saved plan was edited. ${REMAKE}`,
  );
}

interface Difference {
  path: string;
  saved: string;
  now: string;
}

function firstDifference(a: unknown, b: unknown, at: string): Difference {
  if (a && b && typeof a === 'object' && typeof b === 'object' && Array.isArray(a) === Array.isArray(b)) {
    const ka = a as Record<string, unknown>;
    const kb = b as Record<string, unknown>;
    for (const k of new Set([...Object.keys(ka), ...Object.keys(kb)])) {
      if (!isDeepStrictEqual(ka[k], kb[k])) return firstDifference(ka[k], kb[k], Array.isArray(a) ? `${at}[${k}]` : at ? `${at}.${k}` : k);
    }
  }
  const shown = (v: unknown): string => (v === undefined ? 'nothing' : JSON.stringify(v).slice(0, 120));
  return { path: at, saved: shown(a), now: shown(b) };
}
