/**
 * A minimal client of Delve's JSON-RPC API (api-version 2), the protocol VS Code and GoLand use:
 * enough to stop a running program, set a breakpoint on a source line, wait until it is hit and
 * let the program go again. One request at a time per connection, as net/rpc/jsonrpc answers.
 */
import net from 'node:net';

export interface StoppedAt {
  file: string;
  line: number;
  function: string;
}

interface Reply {
  id: number;
  result?: Record<string, unknown>;
  error?: string | null;
}

export class DelveClient {
  private buf = '';
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (r: Reply) => void; reject: (e: Error) => void }>();
  private closed: Error | undefined;

  private constructor(private readonly sock: net.Socket) {
    sock.on('data', (d) => {
      this.buf += d.toString('utf8');
      for (let nl = this.buf.indexOf('\n'); nl >= 0; nl = this.buf.indexOf('\n')) {
        const reply = JSON.parse(this.buf.slice(0, nl)) as Reply;
        this.buf = this.buf.slice(nl + 1);
        this.waiting.get(reply.id)?.resolve(reply);
        this.waiting.delete(reply.id);
      }
    });
    const fail = (e: Error) => {
      this.closed = e;
      for (const w of this.waiting.values()) w.reject(e);
      this.waiting.clear();
    };
    sock.on('error', fail);
    sock.on('close', () => fail(new Error('Delve closed the connection')));
  }

  /** Connects to Delve (through a tunnel, for example) on host:port. */
  static connect(port: number, host = '127.0.0.1'): Promise<DelveClient> {
    return new Promise((resolve, reject) => {
      const sock = net.connect(port, host, () => resolve(new DelveClient(sock)));
      sock.once('error', reject);
    });
  }

  /** Calls a method and resolves with its result; rejects with Delve's error text. */
  async call(method: string, params: Record<string, unknown> = {}, timeoutMs = 30_000): Promise<Record<string, unknown>> {
    if (this.closed) throw this.closed;
    const id = this.nextId++;
    const reply = new Promise<Reply>((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      setTimeout(() => reject(new Error(`${method}: no answer from Delve within ${timeoutMs} ms`)), timeoutMs).unref();
    });
    this.sock.write(`${JSON.stringify({ method: `RPCServer.${method}`, params: [params], id })}\n`);
    const r = await reply;
    if (r.error) throw new Error(`${method}: ${r.error}`);
    return r.result ?? {};
  }

  /** Stops the running program (it was started with --continue). */
  async halt(): Promise<void> {
    await this.call('Command', { name: 'halt' });
  }

  async setBreakpoint(file: string, line: number): Promise<number> {
    const r = await this.call('CreateBreakpoint', { Breakpoint: { file, line } });
    return (r.Breakpoint as { id: number }).id;
  }

  async clearBreakpoint(id: number): Promise<void> {
    await this.call('ClearBreakpoint', { Id: id });
  }

  /** Lets the program run; resolves where it stops next (a breakpoint), within timeoutMs. */
  async continueUntilStopped(timeoutMs: number): Promise<StoppedAt> {
    const r = await this.call('Command', { name: 'continue' }, timeoutMs);
    const state = r.State as { exited?: boolean; currentThread?: { file: string; line: number; function?: { name: string } } };
    if (state.exited || !state.currentThread) throw new Error('the program exited instead of stopping');
    return { file: state.currentThread.file, line: state.currentThread.line, function: state.currentThread.function?.name ?? '' };
  }

  /** Lets the program run without waiting for the next stop. */
  resume(): void {
    this.sock.write(`${JSON.stringify({ method: 'RPCServer.Command', params: [{ name: 'continue' }], id: this.nextId++ })}\n`);
  }

  close(): void {
    this.sock.destroy();
  }
}
