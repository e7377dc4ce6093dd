import { formatDuration } from '../config/duration.js';
import { TASK_DEFAULTS } from '../config/model.js';
import { descriptionLines } from '../report/format.js';
import { NO_LOG_SHOWN } from './plan.js';
import type { HostPlan, Plan, PlanStep } from './plan.js';
import { flatSteps } from './loop.js';

/**
 * The plan as it may be shown: the arguments of no_log steps (and of their undos) hidden. Their
 * previews are hidden already; the arguments stay in the plan itself, which the run needs.
 */
export function shownPlan(plan: Plan): Plan {
  return { ...plan, hosts: plan.hosts.map(shownHost) };
}

/** One host of shownPlan. */
export function shownHost(h: HostPlan): HostPlan {
  return { ...h, steps: h.steps.map(shownStep) };
}

function shownStep(s: PlanStep): PlanStep {
  // Most steps show as they are: no copy (a 500 x 30 plan made 15,000 of them for nothing).
  if (!s.noLog && !s.undo?.noLog && !s.loop?.items) return s;
  return {
    ...s,
    args: s.noLog ? NO_LOG_SHOWN : s.args,
    undo: s.undo && (s.undo.noLog ? { ...s.undo, args: NO_LOG_SHOWN } : s.undo),
    ...(s.loop?.items ? { loop: { ...s.loop, items: s.loop.items.map(shownStep) } } : {}),
  };
}

/** The plan as a person reads it: per host, each step with exactly what would run and its undo. */
export function formatPlan(plan: Plan): string {
  const out: string[] = [];
  const stepCount = plan.hosts.reduce((n, h) => n + flatSteps(h.steps).filter((s) => s.action === 'run').length, 0);
  out.push(`Plan: ${plan.playbook.name}`);
  out.push(...descriptionLines(plan.playbook.description));
  out.push(`  playbook ${plan.playbook.file}, inventory ${plan.inventory}${plan.inputs.limit ? `, --limit ${plan.inputs.limit}` : ''}`);
  out.push(
    `  ${plan.hosts.length} host${plural(plan.hosts.length)}, ${stepCount} step${plural(stepCount)} to run` +
      (plan.batches.length > 1 ? `, in ${plan.batches.length} batches: ${plan.batches.map((b) => b.join(' ')).join(' | ')}` : ''),
  );
  out.push('  Dry run: nothing was connected and nothing changed. <...> marks values known only at run time.');
  for (const h of plan.hosts) {
    out.push('');
    out.push(`${h.name}  (${login(h)}${h.groups.length ? `; groups ${h.groups.join(', ')}` : ''})`);
    if (h.origin) out.push(`  from ${h.origin}`);
    for (const s of h.steps) out.push(...formatStep(s));
  }
  return `${out.join('\n')}\n`;
}

/** Where a host is reached, as ssh would be told: user@address:port, the parts that are known. */
export function login(h: Pick<HostPlan, 'user' | 'address' | 'port'>): string {
  return `${h.user ? `${h.user}@` : ''}${h.address}${h.port !== 22 ? `:${h.port}` : ''}`;
}

function formatStep(s: PlanStep): string[] {
  const flags: string[] = [];
  if (s.become) flags.push(s.becomeUser ? `sudo -u ${s.becomeUser}` : 'sudo');
  if (s.local) flags.push('on the controller');
  if (s.runOnce) flags.push('once');
  if (s.timeoutMs !== TASK_DEFAULTS.timeoutMs) flags.push(`timeout ${formatDuration(s.timeoutMs)}`);
  if (s.retries) flags.push(`retries ${s.retries}, every ${formatDuration(s.delayMs)}${s.until ? ` until ${s.until}` : ''}`);
  if (s.ignoreErrors) flags.push('errors ignored');
  const head = `  ${s.id.padEnd(4)} ${s.name} [${s.kind}${flags.length ? `; ${flags.join('; ')}` : ''}]`;
  if (s.action === 'skip') return [`${head}  skip: ${s.reason}`];
  if (s.loop?.items) return [`${head}  loop over ${s.loop.over}: ${s.loop.items.length} item${plural(s.loop.items.length)}`, ...s.loop.items.flatMap(formatStep)];
  const lines = [head];
  if (s.loop) lines.push(`         loop over ${s.loop.over}, known at run time: each item runs as below, ${s.loop.loopVar} in place of <${s.loop.loopVar}>`);
  if (s.reason) lines.push(`         ${s.reason}`);
  for (const p of s.preview) lines.push(`         ${indentLines(p, '         ')}`);
  if (s.register) lines.push(`         -> result kept as ${s.register}`);
  if (s.undo) {
    const [first, ...rest] = s.undo.preview;
    lines.push(`         undo: ${indentLines(first ?? '', '         ')}`);
    for (const p of rest) lines.push(`         ${p}`);
  }
  return lines;
}

/** Multi-line commands stay aligned under their first line. */
function indentLines(text: string, pad: string): string {
  return text.replace(/\n/g, `\n${pad}  `);
}

function plural(n: number): string {
  return n === 1 ? '' : 's';
}
