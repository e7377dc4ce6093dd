import type { Duplex } from 'node:stream';

/** Sends data on an open stream and resolves with the first line of the reply (both connection kinds use it). */
export function firstLine(stream: Duplex, data: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let got = '';
    const timer = setTimeout(() => finish(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    const finish = (err?: Error, line?: string) => {
      clearTimeout(timer);
      stream.destroy();
      if (err) reject(err);
      else resolve(line!);
    };
    stream.on('data', (d: Buffer) => {
      got += d.toString('utf8');
      const nl = got.indexOf('\n');
      if (nl >= 0) finish(undefined, got.slice(0, nl));
    });
    stream.on('error', (e: Error) => finish(e));
    stream.on('close', () => finish(new Error('the connection closed without an answer')));
    stream.write(data);
  });
}
