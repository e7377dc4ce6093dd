/** Waits until the stream has taken every earlier write; never rejects, since there is nothing left to report to. */
export function flush(out: NodeJS.WritableStream): Promise<void> {
  return new Promise((resolve) => {
    try {
      out.write('', () => resolve());
    } catch {
      resolve();
    }
  });
}
