// become_user: the same connection, with every call that uses sudo made as another user. Kinds
// pass only `become` to their host; the task's user travels here, so no kind has to know of it.
import type { BecomeOptions, Connection, RunOptions, RunResult, Tunnel, WriteOptions } from './types.js';

/** A connection whose become calls run as `user` (sudo -u USER). */
class BecomeUserConnection implements Connection {
  constructor(
    private readonly conn: Connection,
    private readonly user: string,
  ) {}

  get name(): string {
    return this.conn.name;
  }

  get lost(): string | undefined {
    return this.conn.lost;
  }

  /** The options with the user added where sudo is asked for. */
  private as<T extends BecomeOptions>(opts: T | undefined): T {
    return (opts?.become ? { ...opts, becomeUser: opts.becomeUser ?? this.user } : opts ?? {}) as T;
  }

  run(command: string, opts: RunOptions): Promise<RunResult> {
    return this.conn.run(command, this.as(opts));
  }

  readFile(path: string, opts?: BecomeOptions): Promise<Buffer | undefined> {
    return this.conn.readFile(path, this.as(opts));
  }

  writeFile(path: string, data: Buffer | { localPath: string }, opts?: WriteOptions): Promise<void> {
    return this.conn.writeFile(path, data, this.as(opts));
  }

  fetchFile(path: string, localPath: string, opts?: BecomeOptions): Promise<void> {
    return this.conn.fetchFile(path, localPath, this.as(opts));
  }

  sha256(path: string, opts?: BecomeOptions): Promise<string | undefined> {
    return this.conn.sha256(path, this.as(opts));
  }

  request(remote: { host: string; port: number }, data: string, timeoutMs: number, opts?: BecomeOptions): Promise<string> {
    return this.conn.request(remote, data, timeoutMs, this.as(opts));
  }

  forward(local: { host: string; port: number }, remote: { host: string; port: number }, opts?: BecomeOptions): Promise<Tunnel> {
    return this.conn.forward(local, remote, this.as(opts));
  }

  /** The connection is the host's: it closes with the host, not with a task. */
  async close(): Promise<void> {}
}

/** The connection a task uses: itself, or one whose sudo runs as `user` (root needs no wrapping). */
export function asBecomeUser(conn: Connection, user: string | undefined): Connection {
  return user === undefined || user === 'root' ? conn : new BecomeUserConnection(conn, user);
}
