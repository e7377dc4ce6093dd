// Ansible's host ranges: `node[01:20]`, `web[a:c].example.com`, `n[0:10:2]`, several in one name.
// Expanded as Ansible does (zero-padded when the start has a leading zero, letters by their place
// in a-zA-Z), except that an empty range (start after end) is a mistake here, not zero hosts.

/** A range that cannot be expanded; `offset` is where in the pattern the mistake is (0-based). */
export class HostRangeError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

const LETTERS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';

/** More hosts than this from one line is a typo (`[1:100000]`), not an inventory. */
export const MAX_RANGE_HOSTS = 10_000;

/** Whether a host pattern holds a range. */
export function hasRange(pattern: string): boolean {
  return pattern.includes('[');
}

/** The host names a pattern stands for, in order; throws HostRangeError on a bad range. */
export function expandHostRange(pattern: string, offset = 0): string[] {
  const open = pattern.indexOf('[');
  if (open < 0) return [pattern];
  const close = pattern.indexOf(']', open);
  if (close < 0) throw new HostRangeError(`the range in "${pattern}" is never closed with ]`, offset + open);
  const head = pattern.slice(0, open);
  const tail = pattern.slice(close + 1);
  const out: string[] = [];
  for (const item of rangeItems(pattern.slice(open + 1, close), offset + open)) {
    // The tail may hold further ranges; their offsets move with the text put in front of them.
    const shift = head.length + item.length - (close + 1);
    for (const name of expandHostRange(head + item + tail, offset - shift)) {
      out.push(name);
      if (out.length > MAX_RANGE_HOSTS) throw new HostRangeError(`"${pattern}" stands for more than ${MAX_RANGE_HOSTS} hosts`, offset + open);
    }
  }
  return out;
}

/** The items of one range body ("01:20", "a:c", "0:10:2"), as text. */
function rangeItems(body: string, at: number): string[] {
  const bounds = body.split(':');
  if (bounds.length !== 2 && bounds.length !== 3) throw new HostRangeError(`"[${body}]" is not a range: write [START:END] or [START:END:STEP]`, at);
  const [beg = '', end = ''] = bounds;
  const start = beg === '' ? '0' : beg;
  if (end === '') throw new HostRangeError(`"[${body}]" has no end`, at);
  const step = bounds[2] === undefined ? 1 : Number(bounds[2]);
  if (!Number.isInteger(step) || step < 1) throw new HostRangeError(`"[${body}]" has a step that is not a whole number of 1 or more`, at);
  const alpha = LETTERS.indexOf(start) >= 0 && start.length === 1;
  if (alpha || LETTERS.indexOf(end) >= 0 && end.length === 1) {
    const i = LETTERS.indexOf(start);
    const j = LETTERS.indexOf(end);
    if (i < 0 || j < 0) throw new HostRangeError(`"[${body}]" mixes a letter and something else: both ends are single letters or both numbers`, at);
    if (i > j) throw new HostRangeError(`"[${body}]" starts after it ends`, at);
    return [...LETTERS.slice(i, j + 1)].filter((_, k) => k % step === 0);
  }
  if (!/^\d+$/.test(start) || !/^\d+$/.test(end)) throw new HostRangeError(`"[${body}]" is not a range of numbers or of single letters`, at);
  const width = start.length > 1 && start.startsWith('0') ? start.length : 0;
  if (width && end.length !== width) throw new HostRangeError(`"[${body}]" pads the start with zeros, so the end needs as many digits (${width})`, at);
  const from = Number(start);
  const to = Number(end);
  if (from > to) throw new HostRangeError(`"[${body}]" starts after it ends`, at);
  if ((to - from) / step >= MAX_RANGE_HOSTS) throw new HostRangeError(`"[${body}]" stands for more than ${MAX_RANGE_HOSTS} hosts`, at);
  const out: string[] = [];
  for (let n = from; n <= to; n += step) out.push(width ? String(n).padStart(width, '0') : String(n));
  return out;
}

/** "web1:2222" is web1 on port 2222, as in Ansible's host patterns ("node[01:03]:2222" too). */
export function splitHostPort(pattern: string): { name: string; port?: number } {
  const m = /^(.*[^:]):(\d+)$/.exec(pattern);
  return m && !m[1]!.replace(/\[[^\]]*\]/g, '').includes(':') ? { name: m[1]!, port: Number(m[2]) } : { name: pattern };
}
