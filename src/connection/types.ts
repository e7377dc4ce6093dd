/** How one command should run on a host. */
export interface RunOptions {
  /** Kill the command (and every process of its process group) after this long. */
  timeoutMs: number;
  /** Environment variables for the command only. */
  env?: Record<string, string>;
  /** Folder to run in. */
  cwd?: string;
  /** Run through sudo, non-interactively. */
  become?: boolean;
  /** With become: the user to run as (sudo -u USER); default root. */
  becomeUser?: string;
  /** Called with output as it arrives (for -v and progress); the result still holds all of it. */
  onOutput?: (stream: 'stdout' | 'stderr', chunk: Buffer) => void;
  /** Aborting kills the command's process group, as a timeout does (Ctrl-C during a run). */
  signal?: AbortSignal;
}

/** What a command did. Output is kept as bytes and decoded once, so UTF-8 split across chunks stays intact. */
export interface RunResult {
  /** Exit status; null when there was none (killed by a signal, or the shell went away). */
  rc: number | null;
  /** The signal that ended it, when one did (e.g. "SIGKILL"). */
  signal?: string;
  stdout: Buffer;
  stderr: Buffer;
  timedOut: boolean;
  durationMs: number;
}

/** Options for writing a file on a host. */
export interface WriteOptions {
  /** Octal permission bits, as in the playbook ("0644"). */
  mode?: string;
  owner?: string;
  group?: string;
  become?: boolean;
  /** With become: the user to write as; only root (the default) can be given a file kplay uploads. */
  becomeUser?: string;
  /** Bytes written so far, for large files. */
  onProgress?: (done: number, total: number) => void;
}

/** A forwarded port; closing it stops accepting and ends its connections. */
export interface Tunnel {
  readonly localHost: string;
  readonly localPort: number;
  close(): Promise<void>;
}

/** How file reads, checksums, fetches and forwards run on a host: as the login user, or through sudo (as root or becomeUser). */
export interface BecomeOptions {
  become?: boolean;
  /** With become: the user to act as (sudo -u USER); default root. */
  becomeUser?: string;
}

/** Everything tasks need from a host: the SSH connection and the controller implement it alike. */
export interface Connection {
  /** The host's inventory name (or "localhost" for the controller). */
  readonly name: string;
  /** Why the connection dropped, or undefined while it is up: an error after a drop is the network's, not the task's. */
  readonly lost: string | undefined;
  run(command: string, opts: RunOptions): Promise<RunResult>;
  /** A file's bytes; undefined when it does not exist. */
  readFile(path: string, opts?: BecomeOptions): Promise<Buffer | undefined>;
  /** Writes atomically (a temporary file beside it, then rename), from bytes or a local file. */
  writeFile(path: string, data: Buffer | { localPath: string }, opts?: WriteOptions): Promise<void>;
  /** Downloads a file to the controller. */
  fetchFile(path: string, localPath: string, opts?: BecomeOptions): Promise<void>;
  /** SHA-256 of a file in hex; undefined when it does not exist. */
  sha256(path: string, opts?: BecomeOptions): Promise<string | undefined>;
  /**
   * Opens a TCP connection from the host's side to host:port, sends `data`, and resolves with the
   * first line that comes back; rejects when nothing listens or nothing answers in time.
   */
  request(remote: { host: string; port: number }, data: string, timeoutMs: number, opts?: BecomeOptions): Promise<string>;
  /**
   * Forwards localHost:localPort on the controller to remoteHost:remotePort as seen from the host;
   * with become the host-side connections are made by root (through sudo), not the login user.
   */
  forward(local: { host: string; port: number }, remote: { host: string; port: number }, opts?: BecomeOptions): Promise<Tunnel>;
  close(): Promise<void>;
}

/** Raised when a host cannot be reached or its connection drops: the host is unreachable, not failed. */
export class ConnectionLost extends Error {
  constructor(
    readonly host: string,
    message: string,
    readonly hint?: string,
  ) {
    super(message);
    this.name = 'ConnectionLost';
  }
}

/** A file on a host that cannot be read or written (missing, a folder, a full disk): the world's trouble, not a bug. */
export class RemoteFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RemoteFileError';
  }
}
