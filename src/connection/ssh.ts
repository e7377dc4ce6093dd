import { randomBytes } from 'node:crypto';
import { createWriteStream, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Duplex } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { NodeSSH } from 'node-ssh';
import type { Client, ClientChannel, ConnectConfig, SFTPWrapper } from 'ssh2';
import { shellQuote } from '../template/shell-quote.js';
import { checkHostKey, describeHostKeyFailure } from './known-hosts.js';
import type { HostKeyCheck, HostKeyPolicy } from './known-hosts.js';
import { killScript, SessionClosed, ShellSession } from './shell-session.js';
import type { ShellPipes } from './shell-session.js';
import { loadSshConfig } from './ssh-config.js';
import { firstLine } from './request.js';
import { taskScript } from './task-script.js';
import { ConnectionLost, RemoteFileError } from './types.js';
import type { BecomeOptions, Connection, RunOptions, RunResult, Tunnel, WriteOptions } from './types.js';

/** Where and how to connect: an inventory host's settings, before ~/.ssh/config fills the gaps. */
export interface SshTarget {
  /** Inventory name; also the alias looked up in ~/.ssh/config. */
  name: string;
  /** Address to connect to; undefined lets ~/.ssh/config's HostName (or the name) decide. */
  address?: string;
  /** Where to connect when neither address nor ~/.ssh/config's HostName says (a Node's own address); default the name. */
  fallbackAddress?: string;
  port?: number;
  user?: string;
  identityFile?: string;
  passphraseEnv?: string;
  passwordEnv?: string;
  becomePasswordEnv?: string;
  knownHosts?: string;
  hostKeyChecking?: HostKeyPolicy;
  /** Hops before this host: inventory host names or [user@]host[:port]. */
  jump?: string[];
  connectTimeoutMs?: number;
}

/** What connecting needs besides the target: how to find jump hosts, and where secrets come from. */
export interface SshEnvironment {
  /** An inventory host by name, for jump hops that name one. */
  lookup(name: string): SshTarget | undefined;
  env: NodeJS.ProcessEnv;
  /** ~/.ssh/config, or another file (tests). */
  sshConfigFile?: string;
}

const DEFAULT_KEYS = ['id_ed25519', 'id_ecdsa', 'id_rsa'];
const RC_MISSING = 3;
/** How long a new shell on a host may take to answer its first line. */
const SHELL_START_TIMEOUT_MS = 120_000;

function expandHome(p: string): string {
  return p === '~' ? os.homedir() : p.startsWith('~/') ? path.join(os.homedir(), p.slice(2)) : p;
}

/** A target with ~/.ssh/config applied under the inventory's own settings, and defaults under both. */
export function resolveTarget(t: SshTarget, sshConfigFile?: string): Required<Pick<SshTarget, 'address' | 'port' | 'user'>> & SshTarget {
  const cfg = loadSshConfig(t.name, sshConfigFile);
  return {
    ...t,
    address: t.address ?? cfg.hostName ?? t.fallbackAddress ?? t.name,
    port: t.port ?? cfg.port ?? 22,
    user: t.user ?? cfg.user ?? os.userInfo().username,
    identityFile: t.identityFile ?? cfg.identityFiles[0],
    jump: t.jump ?? (cfg.proxyJump?.length ? cfg.proxyJump : undefined),
  };
}

function parseHop(hop: string): SshTarget {
  const m = /^(?:([^@]+)@)?(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(hop);
  if (!m) return { name: hop };
  const host = m[2]!.replace(/^\[|\]$/g, '');
  return { name: host, address: host, user: m[1], port: m[3] ? Number(m[3]) : undefined };
}

function privateKey(t: SshTarget, env: NodeJS.ProcessEnv): { privateKey?: string; passphrase?: string } {
  const candidates = t.identityFile ? [expandHome(t.identityFile)] : DEFAULT_KEYS.map((k) => path.join(os.homedir(), '.ssh', k));
  for (const file of candidates) {
    try {
      return { privateKey: readFileSync(file, 'utf8'), passphrase: t.passphraseEnv ? env[t.passphraseEnv] : undefined };
    } catch (e) {
      if (t.identityFile) {
        throw new ConnectionLost(t.name, `cannot read identity file ${file}: ${(e as Error).message}`, 'Check identityFile in the inventory.');
      }
    }
  }
  return {};
}

/** Opens an SSH connection to a target, through its jump hosts, verifying every host key. */
export async function connectSsh(target: SshTarget, sshEnv: SshEnvironment): Promise<SshConnection> {
  const t = resolveTarget(target, sshEnv.sshConfigFile);
  const hops = (t.jump ?? []).map((h) => resolveTarget(sshEnv.lookup(h) ?? parseHop(h), sshEnv.sshConfigFile));
  const chain = [...hops, t];
  const opened: NodeSSH[] = [];
  let sock: Duplex | undefined;
  try {
    for (const [i, hop] of chain.entries()) {
      const ssh = await connectOne(hop, sock, sshEnv.env, i < chain.length - 1 ? ` (jump host for ${t.name})` : '');
      opened.push(ssh);
      const next = chain[i + 1];
      if (next) sock = await forwardOut(ssh.connection!, next.address, next.port);
    }
  } catch (e) {
    for (const s of opened) s.dispose();
    throw e;
  }
  return new SshConnection(t, opened, sshEnv.env);
}

/**
 * Joins the channel's stdin/stdout to a TCP connection that bash opens ($1 host, $2 port); run
 * through sudo so the connection belongs to root. When the client side ends, the reader is stopped.
 */
const BRIDGE_SCRIPT = 'exec 3<>"/dev/tcp/$1/$2" || exit 1; cat <&3 & cat >&3; kill $! 2>/dev/null';

function forwardOut(client: Client, host: string, port: number): Promise<ClientChannel> {
  return new Promise((resolve, reject) => {
    client.forwardOut('127.0.0.1', 0, host, port, (err, stream) => (err ? reject(err) : resolve(stream)));
  });
}

async function connectOne(t: SshTarget & { address: string; port: number; user: string }, sock: Duplex | undefined, env: NodeJS.ProcessEnv, role: string): Promise<NodeSSH> {
  const policy = t.hostKeyChecking ?? 'strict';
  const files = t.knownHosts ? [expandHome(t.knownHosts)] : [path.join(os.homedir(), '.ssh/known_hosts'), '/etc/ssh/ssh_known_hosts'];
  let check: HostKeyCheck | undefined;
  let checkError: Error | undefined;
  const config: ConnectConfig = {
    host: t.address,
    port: t.port,
    username: t.user,
    readyTimeout: t.connectTimeoutMs ?? 10_000,
    keepaliveInterval: 5000,
    keepaliveCountMax: 3,
    agent: env.SSH_AUTH_SOCK,
    password: t.passwordEnv ? env[t.passwordEnv] : undefined,
    ...privateKey(t, env),
    hostVerifier: (key: Buffer) => {
      // A throw inside ssh2's callback would be lost; keep it and refuse the host instead.
      try {
        check = checkHostKey({ host: t.address, port: t.port, key, files, policy, aliases: t.name !== t.address ? [t.name] : [] });
        return check.ok;
      } catch (e) {
        checkError = e as Error;
        return false;
      }
    },
  };
  if (sock) config.sock = sock as never;
  const ssh = new NodeSSH();
  try {
    await ssh.connect(config as never);
  } catch (e) {
    ssh.dispose();
    const where = `${t.user}@${t.address}:${t.port}${role}`;
    if (checkError) {
      const hint = (checkError as { hint?: string }).hint ?? 'Check the known_hosts files.';
      throw new ConnectionLost(t.name, `${where}: cannot verify the host key: ${checkError.message}`, hint);
    }
    if (check && !check.ok) {
      const d = describeHostKeyFailure(t.address, t.port, check, files[0]!);
      throw new ConnectionLost(t.name, `${where}: ${d.message}`, d.hint);
    }
    throw connectError(t.name, where, e as Error & { code?: string; level?: string }, t);
  }
  // ssh2 emits 'error' on a dropped connection; without a listener that would crash kplay.
  ssh.connection!.on('error', () => undefined);
  return ssh;
}

function connectError(name: string, where: string, e: Error & { code?: string; level?: string }, t: SshTarget): ConnectionLost {
  if (e.code === 'ECONNREFUSED') return new ConnectionLost(name, `${where}: connection refused`, 'Is sshd running there, on this port?');
  if (e.code === 'EHOSTUNREACH' || e.code === 'ENETUNREACH') return new ConnectionLost(name, `${where}: no route to host`, 'Check the address and the network.');
  if (e.code === 'ENOTFOUND') return new ConnectionLost(name, `${where}: unknown host name`, 'Check the address in the inventory or HostName in ~/.ssh/config.');
  if (/Timed out while waiting for handshake/i.test(e.message) || e.code === 'ETIMEDOUT') {
    return new ConnectionLost(name, `${where}: timed out connecting`, 'Check the address, the port and any firewall; connectTimeout raises the limit.');
  }
  if (e.level === 'client-authentication' || /authentication methods failed/i.test(e.message)) {
    const tried = [t.identityFile ? `key ${t.identityFile}` : 'default keys', 'ssh-agent', t.passwordEnv ? `password from $${t.passwordEnv}` : undefined].filter(Boolean);
    return new ConnectionLost(name, `${where}: authentication failed (tried ${tried.join(', ')})`, 'Check user and identityFile in the inventory, and that the key is in the account\'s authorized_keys.');
  }
  if (/passphrase/i.test(e.message)) {
    return new ConnectionLost(name, `${where}: the identity file is encrypted`, `Put its passphrase in an environment variable and name it with passphraseEnv.`);
  }
  return new ConnectionLost(name, `${where}: ${e.message}`, 'Check the connection settings of this host.');
}

/** A live SSH connection: long-lived shells for tasks, SFTP for files, forwarded ports. */
export class SshConnection implements Connection {
  readonly name: string;
  private readonly client: Client;
  private lostReason: string | undefined;
  /** Shells by the user sudo runs them as; '' is the login user's own shell. */
  private readonly sessions = new Map<string, Promise<ShellSession>>();
  private sftp: Promise<SFTPWrapper> | undefined;
  private readonly tunnels = new Set<Tunnel>();
  private readonly onLost: ((reason: string) => void)[] = [];

  constructor(
    private readonly target: SshTarget & { address: string; port: number; user: string },
    private readonly hops: NodeSSH[],
    private readonly env: NodeJS.ProcessEnv,
  ) {
    this.name = target.name;
    this.client = hops[hops.length - 1]!.connection!;
    const lost = (reason: string) => {
      if (this.lostReason) return;
      this.lostReason = reason;
      for (const cb of this.onLost) cb(reason);
    };
    this.client.on('close', () => lost('the connection closed'));
    this.client.on('error', (e: Error) => lost(e.message));
  }

  /** Why the connection is gone, or undefined while it is up. */
  get lost(): string | undefined {
    return this.lostReason;
  }

  /** Calls cb once if the connection drops. */
  whenLost(cb: (reason: string) => void): void {
    if (this.lostReason) cb(this.lostReason);
    else this.onLost.push(cb);
  }

  private assertUp(): void {
    if (this.lostReason) throw new ConnectionLost(this.name, `connection to ${this.target.address} lost: ${this.lostReason}`, 'The host may have gone down or the network dropped; run again when it is back.');
  }

  private exec(command: string): Promise<ClientChannel> {
    this.assertUp();
    return new Promise((resolve, reject) => {
      this.client.exec(command, (err, ch) => (err ? reject(err) : resolve(ch)));
    });
  }

  /** Runs a one-off command on its own channel, with optional input; for sudo checks and kills. */
  private async oneOff(command: string, input?: string): Promise<{ code: number | null; stderr: string }> {
    const ch = await this.exec(command);
    return new Promise((resolve) => {
      let stderr = '';
      ch.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      ch.on('data', () => undefined);
      ch.on('close', (code: number | null) => resolve({ code, stderr }));
      ch.end(input);
    });
  }

  private becomePassword(): string | undefined {
    const name = this.target.becomePasswordEnv;
    return name ? this.env[name] : undefined;
  }

  /** sudo (as root, or as `user`), given the password on stdin when there is one, never prompting on a terminal. */
  private sudo(user = 'root'): string {
    const as = user === 'root' ? '' : `-u ${shellQuote(user)} `;
    return this.becomePassword() === undefined ? `sudo -n ${as}--` : `sudo -S -p '' ${as}--`;
  }

  /**
   * The user sudo must run as, or '' when no sudo is needed: without become, or when the login
   * user already is the one asked for (a root login may have no sudo installed).
   */
  private sudoAs(become: boolean | undefined, user = 'root'): string {
    return become && this.target.user !== user ? user : '';
  }

  private session(as: string): Promise<ShellSession> {
    let s = this.sessions.get(as);
    if (s) {
      return s.then((x) => {
        if (!x.closed) return x;
        this.sessions.delete(as);
        return this.session(as);
      });
    }
    s = this.openSession(as);
    this.sessions.set(as, s);
    s.catch(() => this.sessions.delete(as));
    return s;
  }

  private async openSession(as: string): Promise<ShellSession> {
    const become = as !== '';
    const password = become ? this.becomePassword() : undefined;
    if (become) {
      // A wrong password would make sudo read the session's script lines as more attempts, so
      // the password is tried on a channel of its own first.
      const probe = await this.oneOff(`${this.sudo(as)} true`, password === undefined ? undefined : `${password}\n`);
      if (probe.code !== 0) {
        const needsPassword = /password is required|a terminal is required|incorrect password|try again/i.test(probe.stderr);
        throw new ConnectionLost(
          this.name,
          `sudo${as === 'root' ? '' : ` -u ${as}`} refused on ${this.name}: ${probe.stderr.trim().split('\n')[0] || `exit status ${probe.code}`}`,
          needsPassword
            ? 'Set becomePasswordEnv in the inventory to the name of an environment variable holding the sudo password, or allow this user passwordless sudo.'
            : 'Check that sudo is installed and that this user may use it.',
        );
      }
    }
    const ch = await this.exec(become ? `exec ${this.sudo(as)} sh` : 'exec sh');
    if (password !== undefined) ch.write(`${password}\n`);
    const pipes: ShellPipes = {
      stdin: ch,
      stdout: ch,
      stderr: ch.stderr,
      onClose: (cb) => {
        ch.on('close', () => cb(this.lostReason ? `connection lost: ${this.lostReason}` : 'the remote shell exited'));
      },
      close: () => ch.close(),
    };
    try {
      // A busy host (a slow login profile, many connections at once) may take a while to answer.
      return await ShellSession.open(pipes, (mark, signal) => this.killTask(mark, signal, as), SHELL_START_TIMEOUT_MS);
    } catch (e) {
      if (e instanceof SessionClosed) {
        throw new ConnectionLost(this.name, `${this.name}: cannot start a shell${become ? ' through sudo' : ''}: ${e.message}`, 'Check that sh works for this user on the host, and that the host is not overloaded.');
      }
      throw e;
    }
  }

  private async killTask(mark: string, signal: 'TERM' | 'KILL', as: string): Promise<void> {
    const kill = killScript(mark, signal);
    const pw = as ? this.becomePassword() : undefined;
    await this.oneOff(as ? `${this.sudo(as)} sh -c ${shellQuote(kill)}` : kill, pw === undefined ? undefined : `${pw}\n`);
  }

  /** Opens the shell tasks will use (with sudo or without) now, rather than on the first task. */
  async warm(become: boolean): Promise<void> {
    await this.session(this.sudoAs(become));
  }

  async run(command: string, opts: RunOptions): Promise<RunResult> {
    const s = await this.session(this.sudoAs(opts.become, opts.becomeUser));
    try {
      return await s.run(taskScript(command, opts), opts);
    } catch (e) {
      this.assertUp();
      if (e instanceof SessionClosed) throw new ConnectionLost(this.name, `${this.name}: the remote shell ended: ${e.message}`, 'The host may be overloaded or going down.');
      throw e;
    }
  }

  /** Runs a small helper script of kplay's own (not a user task) with the default timeout. */
  private runOwn(script: string, as: BecomeOptions = {}): Promise<RunResult> {
    return this.run(script, { timeoutMs: 60_000, become: as.become, becomeUser: as.becomeUser });
  }

  async readFile(p: string, opts: BecomeOptions = {}): Promise<Buffer | undefined> {
    const q = shellQuote(p);
    const r = await this.runOwn(`[ -e ${q} ] || exit ${RC_MISSING}; exec cat -- ${q}`, opts);
    if (r.rc === RC_MISSING) return undefined;
    if (r.rc !== 0) throw new RemoteFileError(`cannot read ${p}: ${r.stderr.toString().trim()}`);
    return r.stdout;
  }

  async sha256(p: string, opts: BecomeOptions = {}): Promise<string | undefined> {
    const q = shellQuote(p);
    const r = await this.runOwn(`[ -e ${q} ] || exit ${RC_MISSING}; sha256sum -- ${q}`, opts);
    if (r.rc === RC_MISSING) return undefined;
    if (r.rc !== 0) throw new RemoteFileError(`cannot checksum ${p}: ${r.stderr.toString().trim()}`);
    return r.stdout.toString().split(/\s/)[0];
  }

  private getSftp(): Promise<SFTPWrapper> {
    this.assertUp();
    this.sftp ??= new Promise<SFTPWrapper>((resolve, reject) => this.client.sftp((err, s) => (err ? reject(err) : resolve(s))));
    this.sftp.catch(() => (this.sftp = undefined));
    return this.sftp;
  }

  private async upload(data: Buffer | { localPath: string }, remote: string, opts: WriteOptions): Promise<void> {
    const sftp = await this.getSftp();
    if (Buffer.isBuffer(data)) {
      await new Promise<void>((resolve, reject) => sftp.writeFile(remote, data, { mode: 0o600 }, (err) => (err ? reject(err) : resolve())));
      opts.onProgress?.(data.length, data.length);
      return;
    }
    await new Promise<void>((resolve, reject) =>
      sftp.fastPut(data.localPath, remote, { mode: 0o600, step: (done, _chunk, total) => opts.onProgress?.(done, total) }, (err) => (err ? reject(err) : resolve())),
    );
  }

  async writeFile(p: string, data: Buffer | { localPath: string }, given: WriteOptions = {}): Promise<void> {
    const as = this.sudoAs(given.become, given.becomeUser);
    if (as !== '' && as !== 'root') {
      // The upload is the login user's until root copies it into place: another user cannot read it.
      throw new RemoteFileError(`cannot write ${p} as ${as}: kplay writes files as the login user or as root; use become_user: root with owner: ${as}`);
    }
    const opts = { ...given, become: as === 'root', becomeUser: undefined };
    const made = await this.runOwn(`mkdir -p -- ${shellQuote(path.posix.dirname(p))}`, opts);
    if (made.rc !== 0) throw new RemoteFileError(`cannot create the folder of ${p}: ${made.stderr.toString().trim()}`);
    const tag = randomBytes(6).toString('hex');
    // Without sudo the upload lands beside its destination, so the final rename is atomic; with
    // sudo SFTP cannot write there, so it goes through /tmp and root copies it into place.
    const upload = opts.become ? `/tmp/.kplay-upload-${tag}` : `${p}.kplay-${tag}`;
    const staged = opts.become ? `${p}.kplay-${tag}` : upload;
    await this.upload(data, upload, opts);
    const q = shellQuote(p);
    const s = shellQuote(staged);
    const steps = [
      opts.become ? `cp -- ${shellQuote(upload)} ${s}` : undefined,
      opts.mode ? `chmod ${shellQuote(opts.mode)} ${s}` : `if [ -e ${q} ]; then chmod --reference=${q} ${s}; else chmod 0644 ${s}; fi`,
      opts.owner || opts.group ? `chown -- ${shellQuote(`${opts.owner ?? ''}${opts.group ? `:${opts.group}` : ''}`)} ${s}` : undefined,
      `mv -f -- ${s} ${q}`,
    ].filter(Boolean);
    const cleanup = `rm -f -- ${s}${opts.become ? ` ${shellQuote(upload)}` : ''}`;
    const r = await this.runOwn(`{ ${steps.join(' && ')}; } || { rc=$?; ${cleanup}; exit $rc; }${opts.become ? `; rm -f -- ${shellQuote(upload)}` : ''}`, opts);
    if (r.rc !== 0) throw new RemoteFileError(`cannot write ${p}: ${r.stderr.toString().trim()}`);
  }

  async fetchFile(p: string, localPath: string, opts: BecomeOptions = {}): Promise<void> {
    await mkdir(path.dirname(localPath), { recursive: true });
    if (this.sudoAs(opts.become, opts.becomeUser)) {
      const data = await this.readFile(p, opts);
      if (!data) throw new RemoteFileError(`${p} does not exist`);
      await writeFile(localPath, data);
      return;
    }
    const sftp = await this.getSftp();
    const size = await new Promise<number | undefined>((resolve) => sftp.stat(p, (err, st) => resolve(err || !st.isFile() ? undefined : st.size)));
    // fastGet copies exactly the size stat reports, and /proc or /sys files report 0 yet have
    // content: those (and anything not a plain file) are read to their end instead.
    if (size) {
      await new Promise<void>((resolve, reject) => sftp.fastGet(p, localPath, (err) => (err ? reject(err) : resolve())));
      return;
    }
    await pipeline(sftp.createReadStream(p), createWriteStream(localPath));
  }

  async request(remote: { host: string; port: number }, data: string, timeoutMs: number, opts: BecomeOptions = {}): Promise<string> {
    const stream = await this.openStream(remote, this.sudoAs(opts.become, opts.becomeUser));
    return firstLine(stream, data, timeoutMs);
  }

  /**
   * A byte stream to host:port as seen from the host. Plain SSH forwarding connects as the login
   * user; with become (and a login user other than root) the connection is made by root through
   * sudo instead, because Delve on loopback accepts only clients of its own user, and a root Delve
   * would refuse the login user's forwarded connection. The port stays closed to other users.
   */
  private async openStream(remote: { host: string; port: number }, as: string): Promise<Duplex> {
    this.assertUp();
    if (!as) return forwardOut(this.client, remote.host, remote.port);
    const ch = await this.exec(`${this.sudo(as)} bash -c ${shellQuote(BRIDGE_SCRIPT)} kplay-bridge ${shellQuote(remote.host)} ${String(remote.port)}`);
    const password = this.becomePassword();
    // sudo -S reads the password one byte at a time up to the newline; what follows is the stream's.
    if (password !== undefined) ch.write(`${password}\n`);
    ch.stderr.resume();
    return ch;
  }

  async forward(local: { host: string; port: number }, remote: { host: string; port: number }, opts: BecomeOptions = {}): Promise<Tunnel> {
    const as = this.sudoAs(opts.become, opts.becomeUser);
    this.assertUp();
    const sockets = new Set<net.Socket>();
    const server = net.createServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => undefined);
      this.openStream(remote, as).then(
        (stream) => {
          socket.pipe(stream).pipe(socket);
          stream.on('error', () => socket.destroy());
          stream.on('close', () => socket.destroy());
          socket.on('error', () => stream.destroy());
          socket.on('close', () => stream.destroy());
        },
        () => socket.destroy(),
      );
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(local.port, local.host, () => resolve());
    });
    const address = server.address() as net.AddressInfo;
    const tunnel: Tunnel = {
      localHost: address.address,
      localPort: address.port,
      close: () =>
        new Promise<void>((resolve) => {
          for (const s of sockets) s.destroy();
          server.close(() => resolve());
          this.tunnels.delete(tunnel);
        }),
    };
    this.tunnels.add(tunnel);
    return tunnel;
  }

  async close(): Promise<void> {
    for (const t of [...this.tunnels]) await t.close();
    for (const s of this.sessions.values()) (await s.catch(() => undefined))?.close();
    this.sessions.clear();
    for (const h of [...this.hops].reverse()) h.dispose();
  }
}
