// The end-of-run table both text reporters print, like Ansible's PLAY RECAP but with aligned columns.
import type { HostStatus, Recap, RunEndEvent, RunEvent } from './events.js';
import { formatElapsed } from './format.js';
import { createPaint, statusColor } from './style.js';
import type { Paint } from './style.js';

/** How a host's run ended as the recap shows it; the last two are for runs cut short. */
export type RecapStatus = HostStatus | 'interrupted' | 'not run';

/** One row of the recap. */
export interface RecapRow {
  host: string;
  recap: Recap;
  status: RecapStatus;
}

const COUNTS = ['ok', 'changed', 'failed', 'skipped', 'unreachable'] as const;

function zero(): Recap {
  return { ok: 0, changed: 0, failed: 0, skipped: 0, unreachable: 0 };
}

/** Collects, from the events, what the recap needs: host order, final counts and statuses, the run's outcome. */
export class RecapCollector {
  private readonly order: string[] = [];
  private readonly started = new Set<string>();
  private readonly ended = new Map<string, { status: HostStatus; recap: Recap }>();
  // Counted from task_end, for hosts whose host_end never came.
  private readonly tally = new Map<string, Recap>();
  private runEnd?: RunEndEvent;
  private checkRun = false;
  private notRun = 0;

  /** Takes any event; only the ones that matter to the recap change anything. */
  onEvent(e: RunEvent): void {
    switch (e.type) {
      case 'run_start':
        for (const h of e.hosts) this.add(h);
        this.checkRun = e.check === true;
        break;
      case 'host_start':
        this.add(e.host);
        this.started.add(e.host);
        break;
      case 'task_end': {
        this.add(e.host);
        this.started.add(e.host);
        const r = this.tally.get(e.host) ?? zero();
        r[e.status]++;
        if (e.check === 'would_run') this.notRun++;
        this.tally.set(e.host, r);
        break;
      }
      case 'host_end':
        this.add(e.host);
        this.started.add(e.host);
        this.ended.set(e.host, { status: e.status, recap: e.recap });
        break;
      case 'run_end':
        for (const h of Object.keys(e.recap)) this.add(h);
        this.runEnd = e;
        break;
      default:
        break;
    }
  }

  /** Whether there is anything to show. */
  get empty(): boolean {
    return this.order.length === 0;
  }

  /** A --check run: its changes are the ones it would make; `notRun` tasks were skipped as they would change the host. */
  get check(): { notRun: number } | undefined {
    return this.checkRun ? { notRun: this.notRun } : undefined;
  }

  /** The run's end, if it arrived. */
  get end(): RunEndEvent | undefined {
    return this.runEnd;
  }

  /** One row per host, in the order the run named them. */
  rows(): RecapRow[] {
    return this.order.map((host) => {
      const ended = this.ended.get(host);
      const recap = this.runEnd?.recap[host] ?? ended?.recap ?? this.tally.get(host) ?? zero();
      const status: RecapStatus = ended?.status ?? (this.started.has(host) ? 'interrupted' : 'not run');
      return { host, recap, status };
    });
  }

  private add(host: string): void {
    if (!this.order.includes(host)) this.order.push(host);
  }
}

/** The recap table and a one-line summary; `paint` colors status words and non-zero problem counts. */
export function formatRecap(rows: RecapRow[], end: RunEndEvent | undefined, paint: Paint = createPaint(false), check?: { notRun: number }): string[] {
  const header = ['host', ...COUNTS.map((c) => (check && c === 'changed' ? 'would change' : c)), 'status'];
  const cells = rows.map((r) => [r.host, ...COUNTS.map((k) => String(r.recap[k])), r.status]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const last = header.length - 1;
  // Color the value, not its padding; escape codes must not count towards the width either.
  const cell = (v: string, i: number, color: (s: string) => string): string => {
    const gap = ' '.repeat(widths[i]! - v.length);
    return i === 0 ? color(v) + gap : i === last ? color(v) : gap + color(v);
  };
  const line = (c: string[], color: (i: number) => (s: string) => string): string =>
    c.map((v, i) => cell(v, i, color(i))).join('  ');
  const out = [paint.bold('RECAP'), line(header, () => paint.dim)];
  rows.forEach((r, n) => {
    out.push(
      line(cells[n]!, (i) => {
        if (i === last) return statusColor(paint, r.status);
        const key = COUNTS[i - 1];
        if (key === 'changed' && r.recap.changed) return paint.yellow;
        if ((key === 'failed' || key === 'unreachable') && r.recap[key]) return paint.red;
        return (s) => s;
      }),
    );
  });
  out.push(summaryLine(rows, end, paint));
  if (check) out.push(checkLine(rows, check.notRun));
  return out;
}

/** What a --check run found, and that it changed nothing. */
function checkLine(rows: RecapRow[], notRun: number): string {
  const changes = rows.reduce((n, r) => n + r.recap.changed, 0);
  const skipped = notRun ? `; ${notRun} task${notRun === 1 ? '' : 's'} not run, as ${notRun === 1 ? 'it' : 'they'} could change a host (check_mode: false runs one that only reads)` : '';
  return `Check mode: nothing that changes a host ran; ${changes} task${changes === 1 ? '' : 's'} would change${skipped}`;
}

function summaryLine(rows: RecapRow[], end: RunEndEvent | undefined, paint: Paint): string {
  const byStatus = new Map<RecapStatus, number>();
  for (const r of rows) byStatus.set(r.status, (byStatus.get(r.status) ?? 0) + 1);
  const order: RecapStatus[] = ['ok', 'failed', 'unreachable', 'interrupted', 'not run'];
  const counts = order
    .filter((s) => byStatus.get(s))
    .map((s) => `${byStatus.get(s)} ${s}`)
    .join(', ');
  const hosts = `${rows.length} host${rows.length === 1 ? '' : 's'}`;
  if (!end) return `${paint.red('Run interrupted')}: ${hosts}${counts ? `, ${counts}` : ''}`;
  const verdict = end.exitCode === 0 ? paint.green('Run succeeded') : paint.red('Run failed');
  return `${verdict} after ${formatElapsed(end.durationMs)}: ${hosts}${counts ? `, ${counts}` : ''} (exit code ${end.exitCode})`;
}
