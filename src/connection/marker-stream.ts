/**
 * Collects a byte stream and finds framing markers in it without joining chunks over and over:
 * a 10 MB output arrives in hundreds of chunks, each is searched once (with just enough of the
 * previous data kept to catch a marker split across two chunks), and the chunks are joined once,
 * when the marker is found.
 */
export class MarkerStream {
  private chunks: Buffer[] = [];
  private length = 0;
  /** Where the pending marker starts, once found (its line may still be incomplete). */
  private markerAt = -1;
  /** How much has been handed to onData. */
  private forwarded = 0;
  private waiter:
    | { marker: Buffer; resolve: (found: { before: Buffer; line: string }) => void; reject: (err: Error) => void }
    | undefined;
  private endError: Error | undefined;

  /** Called with data that is certainly output (never part of a marker), for live display. */
  onData: ((chunk: Buffer) => void) | undefined;

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.length += chunk.length;
    this.check(chunk);
  }

  /** The stream ended: a pending wait, and every later one, fails with `err`. */
  end(err: Error): void {
    this.endError = err;
    const w = this.waiter;
    this.waiter = undefined;
    w?.reject(err);
  }

  /**
   * Resolves with everything before `marker` and the rest of the marker's line (without the
   * newline); the bytes after that line stay for the next wait.
   */
  waitFor(marker: string): Promise<{ before: Buffer; line: string }> {
    if (this.waiter) throw new Error('MarkerStream: one wait at a time');
    return new Promise((resolve, reject) => {
      if (this.endError) return reject(this.endError);
      this.waiter = { marker: Buffer.from(marker), resolve, reject };
      this.markerAt = -1;
      this.forwarded = 0;
      if (this.length) this.check(this.join());
    });
  }

  private check(chunk: Buffer): void {
    const w = this.waiter;
    if (!w) return;
    const m = w.marker.length;
    if (this.markerAt < 0) {
      // Search the new chunk together with the last m-1 bytes before it.
      const chunkStart = this.length - chunk.length;
      const carryLen = Math.min(m - 1, chunkStart);
      const region = carryLen > 0 ? Buffer.concat([this.slice(chunkStart - carryLen, chunkStart), chunk]) : chunk;
      const idx = region.indexOf(w.marker);
      if (idx < 0) {
        const safe = this.length - (m - 1);
        if (safe > this.forwarded && this.onData) this.onData(this.slice(this.forwarded, safe));
        this.forwarded = Math.max(this.forwarded, safe);
        return;
      }
      this.markerAt = chunkStart - carryLen + idx;
    }
    const all = this.join();
    const eol = all.indexOf(0x0a, this.markerAt + m);
    if (eol < 0) return; // the marker's line is not complete yet
    if (this.markerAt > this.forwarded) this.onData?.(all.subarray(this.forwarded, this.markerAt));
    const before = all.subarray(0, this.markerAt);
    const line = all.subarray(this.markerAt + m, eol).toString('utf8');
    const rest = all.subarray(eol + 1);
    this.chunks = rest.length ? [rest] : [];
    this.length = rest.length;
    this.waiter = undefined;
    w.resolve({ before, line });
  }

  private join(): Buffer {
    if (this.chunks.length !== 1) this.chunks = [Buffer.concat(this.chunks, this.length)];
    return this.chunks[0]!;
  }

  /** Bytes [from, to) of what is held, joining only the chunks that cover them. */
  private slice(from: number, to: number): Buffer {
    const parts: Buffer[] = [];
    let offset = 0;
    for (const c of this.chunks) {
      const end = offset + c.length;
      if (end > from && offset < to) parts.push(c.subarray(Math.max(0, from - offset), Math.min(c.length, to - offset)));
      offset = end;
      if (offset >= to) break;
    }
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
  }
}
