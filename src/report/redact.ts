// Secrets (vault values, tokens passed with -e) must never reach a terminal, a CI log or a JSON consumer.
import { singleQuotedBody } from '../template/shell-quote.js';
import { mapStrings } from '../text/map-strings.js';
import type { Reporter, RunEvent } from './events.js';

/** What a secret is replaced with; the same for every secret, so its length does not leak either. */
export const MASK = '********';

// Shorter values would mask ordinary words and numbers all over the output while protecting nothing.
const MIN_SECRET_LENGTH = 4;

/**
 * The forms a value takes in output: as is, inside single quotes (a command's preview quotes the
 * value, or a longer text holding it), and either of these
 * escaped inside a JSON string (`-o json`, `{{json x}}`); a value with a quote or a backslash differs in each.
 */
function forms(secret: string): string[] {
  const escaped = (s: string) => JSON.stringify(s).slice(1, -1);
  return [secret, singleQuotedBody(secret), escaped(secret), escaped(singleQuotedBody(secret))];
}

/** Replaces known secret values in text and, deeply, in every string of an event. */
export class Redactor {
  private secrets: string[] = [];

  constructor(secrets: string[]) {
    this.add(secrets);
  }

  /** Masks these values too from now on (secrets that become known later, such as a playbook's). */
  add(secrets: readonly string[]): void {
    const kept = new Set([...this.secrets, ...secrets.filter((s) => typeof s === 'string' && s.length >= MIN_SECRET_LENGTH).flatMap(forms)]);
    this.secrets = [...kept].sort((a, b) => b.length - a.length);
  }

  /** `s` with every occurrence of every secret masked. */
  text(s: string): string {
    if (!this.secrets.length || !s) return s;
    // Mask the union of all matches, overlapping ones included: masking one secret at a time could cut a
    // second secret that overlaps it and leave part of it in the clear.
    const spans: [number, number][] = [];
    for (const secret of this.secrets) {
      for (let i = s.indexOf(secret); i !== -1; i = s.indexOf(secret, i + 1)) spans.push([i, i + secret.length]);
    }
    if (!spans.length) return s;
    spans.sort((a, b) => a[0] - b[0] || b[1] - a[1]);
    let out = '';
    let pos = 0;
    let open: [number, number] | undefined;
    for (const span of spans) {
      if (open && span[0] <= open[1]) {
        open[1] = Math.max(open[1], span[1]);
        continue;
      }
      if (open) {
        out += MASK;
        pos = open[1];
      }
      out += s.slice(pos, span[0]);
      open = [span[0], span[1]];
    }
    return out + MASK + s.slice(open![1]);
  }

  /** A copy of the event with every string field (at any depth) passed through `text`; field order is kept. */
  event<T extends RunEvent>(e: T): T {
    return this.data(e);
  }

  /** A copy of any JSON-like value (a plan, say) with every string passed through `text`. */
  data<T>(v: T): T {
    return this.secrets.length ? (mapStrings(v, (s) => this.text(s)) as T) : v;
  }
}

/** A reporter that only ever sees events with the secrets masked. */
export class RedactingReporter implements Reporter {
  constructor(
    private readonly inner: Reporter,
    private readonly redactor: Redactor,
  ) {}

  onEvent(e: RunEvent): void {
    this.inner.onEvent(this.redactor.event(e));
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
