/**
 * A lab of real OpenSSH servers for integration tests: one `sshd` per lab host, each on its own loopback
 * address (127.0.0.2, 127.0.0.3, ...) and all on one port, with fresh host keys, lab-owned authorized_keys
 * and three login users (root, a passwordless sudoer, a sudoer whose sudo needs a password).
 *
 * Needs root (it starts sshd and creates users). Every sshd is killed and the lab folder removed by
 * close(), and also when the process exits or is interrupted, so an aborted test leaves nothing behind;
 * labs of processes that died by SIGKILL are reaped when the next lab starts.
 *
 *   const lab = await startSshLab({ hosts: 3 });
 *   after(() => lab.close());
 *   const inv = lab.inventory({ user: lab.users.sudoer, defaults: { become: true } });
 *
 * `wrap` runs every sshd under a command prefix, e.g. to put it into its own namespaces (see
 * test/support/standin-cluster.ts): the lab spawns `[...wrap(host), SSHD, '-f', config, '-D', '-e']`.
 */
import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createHash, createHmac, randomBytes, randomInt } from 'node:crypto';
import {
  chmodSync,
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { stringify } from 'yaml';
import { forwardIntoNetns } from './netns-forward.js';
import type { NetnsForward } from './netns-forward.js';
import { alive, ownerAlive, ownerLine, procStat } from './processes.js';

/** One lab host: an sshd on its own loopback address. */
export interface LabHost {
  /** "h1", "h2", ...: also its name in inventories written by SshLab.inventory(). */
  readonly name: string;
  /** "127.0.0.2", "127.0.0.3", ... */
  readonly address: string;
  readonly port: number;
  /** The public host key, "ssh-ed25519 AAAA..." (no comment). */
  readonly hostKeyLine: string;
  /** "SHA256:..." exactly as `ssh-keygen -l` prints it. */
  readonly fingerprint: string;
  /** The sshd log (LogLevel VERBOSE), for asserting on what the server saw. */
  readonly logPath: string;
  /** The listening sshd's pid, while it runs. */
  sshdPid(): number | undefined;
  /**
   * Stops the listener (SIGTERM, SIGKILL after 2 s): new connections are refused. Established sessions
   * survive, as they do when a real sshd restarts, unless `sessions` is set: then they are terminated
   * too, with every process they started.
   */
  stop(opts?: { sessions?: boolean }): Promise<void>;
  /** Starts it again with the same keys, address and port; resolves once it accepts connections. */
  start(): Promise<void>;
  /** SIGKILLs the listener, every session and everything they started, at once: connections drop. */
  kill(): void;
  /**
   * SIGSTOPs the listener and its sessions: connections stay open but nothing answers (a black-holed
   * network, for timeout and keepalive tests). New TCP connections still complete, as the kernel accepts them.
   */
  freeze(): void;
  /** SIGCONTs what freeze() stopped. */
  thaw(): void;
}

export interface InventoryOptions {
  /** Lab host names to include. Default: all. */
  hosts?: string[];
  /** Login user for every host. Default: root. */
  user?: string;
  /**
   * Merged over the generated `defaults` (user, port, identityFile = clientKey, knownHosts, hostKeyChecking:
   * strict). A key set to undefined is left out, e.g. `{ identityFile: undefined, passwordEnv: LAB_ENV.password }`.
   */
  defaults?: Record<string, unknown>;
  /** Per host, merged over its generated entry ({ address }). */
  hostSettings?: Record<string, Record<string, unknown>>;
  /** Merged at the top level: `vars`, `groups`, or even a replacement `hosts`. */
  extra?: Record<string, unknown>;
}

/** What `wrap` is told about the host whose sshd it wraps. */
export interface LabHostInfo {
  /** "h1", "h2", ... */
  readonly name: string;
  /** "127.0.0.2", ... */
  readonly address: string;
  /** 0 for h1, 1 for h2, ... */
  readonly index: number;
}

export interface SshLabOptions {
  hosts: number;
  /**
   * A command prefix per host: the lab spawns `[...prefix, SSHD, '-f', config, '-D', '-e']` instead of sshd
   * itself. The prefix must end up running that command in the foreground (exec it, or fork and wait for it)
   * and exit when it exits. sshdPid() is then the listening sshd found below the wrapper (its pid as the
   * machine sees it); kill(), freeze(), thaw() and stop({ sessions: true }) act on the wrapper and everything
   * below it. When the wrapper makes sshd PID 1 of a PID namespace, stopping the listener ends every
   * process of that namespace, so plain stop() cannot keep sessions alive there.
   */
  wrap?: (host: LabHostInfo) => string[];
  /**
   * The pid of a process whose network namespace the host's sshd runs in (the wrap must put it there, e.g.
   * `nsenter -t PID -n ...`). The lab then listens on the host's address and port in the machine's namespace
   * and relays each connection into that namespace (netns-forward.ts), so inventories stay the same.
   */
  netns?: (host: LabHostInfo) => number | undefined;
}

export interface SshLab {
  /** Temporary folder holding keys, configs, logs and inventories; removed by close(). */
  readonly dir: string;
  readonly hosts: LabHost[];
  /** Host by name; throws on an unknown one. */
  host(name: string): LabHost;
  /** An ed25519 private key without passphrase, authorized for every user. */
  readonly clientKey: string;
  /** An ed25519 private key (OpenSSH format, bcrypt KDF) with passphrase `passphrase`, authorized for every user. */
  readonly clientKeyWithPassphrase: string;
  readonly passphrase: string;
  /** known_hosts with a plain `[127.0.0.2]:PORT ssh-ed25519 ...` line per host. */
  readonly knownHosts: string;
  /** Writes (with fresh salts) and returns a known_hosts with hashed `|1|salt|hash ...` lines, as `ssh-keygen -H` writes them. */
  knownHostsHashed(): string;
  readonly users: {
    /** "root": login shell /bin/bash. */
    root: string;
    /** "kplay-sudoer": login shell /bin/sh (dash), `sudo` needs no password. */
    sudoer: string;
    /** "kplay-pwuser": login shell /bin/sh (dash); password login works and `sudo` asks for the same password. */
    sudoerPassword: { name: string; password: string };
  };
  /** The secrets, keyed by the variable names in LAB_ENV, for the environment of a kplay run. */
  readonly env: Record<string, string>;
  /** Writes an inventory YAML for kplay and returns its path. */
  inventory(opts?: InventoryOptions): string;
  /** Kills every sshd of the lab with its sessions and removes the lab folder. Idempotent. */
  close(): Promise<void>;
}

/**
 * Fixed rather than random so labs in concurrently running test files agree on it: chpasswd is global.
 * Spaces, quotes and `$` are there on purpose, to catch unquoted passwords in the SSH engine.
 */
export const LAB_PASSWORD = `kplay lab pw 'q' "d" $HOME`;
/** Names of the environment variables that lab.env fills, for passwordEnv / passphraseEnv / becomePasswordEnv. */
export const LAB_ENV = { password: 'KPLAY_LAB_PASSWORD', passphrase: 'KPLAY_LAB_PASSPHRASE' } as const;

const SSHD = '/usr/sbin/sshd';
const SUDOER = 'kplay-sudoer';
const PWUSER = 'kplay-pwuser';
const LAB_PREFIX = 'kplay-sshlab-';
const SUDOERS_FILE = '/etc/sudoers.d/kplay-lab';
const STARTUP_TIMEOUT_MS = 10_000;
const STOP_GRACE_MS = 2_000;

/**
 * Why a lab cannot start here, or undefined when it can: for `describe(..., { skip: sshLabUnavailable() })`
 * on machines without root or OpenSSH.
 */
export function sshLabUnavailable(): string | undefined {
  if (process.platform !== 'linux') return 'the SSH lab needs Linux';
  if (process.getuid?.() !== 0) return 'the SSH lab needs root: it starts sshd and creates users';
  for (const bin of [SSHD, '/usr/bin/ssh-keygen', '/usr/sbin/visudo']) {
    if (!existsSync(bin)) return `the SSH lab needs ${bin}`;
  }
  return undefined;
}

/** Starts `hosts` sshds (h1 on 127.0.0.2, h2 on 127.0.0.3, ...); resolves once all accept connections. */
export async function startSshLab(opts: SshLabOptions): Promise<SshLab> {
  if (!Number.isInteger(opts.hosts) || opts.hosts < 1 || opts.hosts > 200) {
    throw new Error(`startSshLab: hosts must be an integer from 1 to 200, got ${opts.hosts}`);
  }
  const unavailable = sshLabUnavailable();
  if (unavailable) throw new Error(unavailable);
  reapOrphanLabs();
  const lab = new Lab(opts.hosts, opts.wrap, opts.netns);
  try {
    await lab.init();
    return lab;
  } catch (err) {
    await lab.close();
    throw err;
  }
}

class LabError extends Error {
  constructor(
    message: string,
    readonly addressInUse = false,
  ) {
    super(message);
  }
}

class Lab implements SshLab {
  readonly dir: string;
  readonly hosts: Host[] = [];
  readonly clientKey: string;
  readonly clientKeyWithPassphrase: string;
  readonly passphrase = 'kplay lab passphrase';
  readonly knownHosts: string;
  readonly users = {
    root: 'root',
    sudoer: SUDOER,
    sudoerPassword: { name: PWUSER, password: LAB_PASSWORD },
  };
  readonly env: Record<string, string>;
  private closed = false;
  private inventories = 0;

  constructor(
    readonly count: number,
    private readonly wrap?: (host: LabHostInfo) => string[],
    private readonly netns?: (host: LabHostInfo) => number | undefined,
  ) {
    this.dir = mkdtempSync(path.join(tmpdir(), LAB_PREFIX));
    live.add(this);
    installExitHooks();
    // sshd reads authorized_keys as the login user, so non-root users must be able to reach it.
    chmodSync(this.dir, 0o711);
    // Hosts' kplay state folders (see inventory()); sticky and writable by all, like /tmp, for the non-root test users.
    mkdirSync(path.join(this.dir, 'kplay-state'));
    chmodSync(path.join(this.dir, 'kplay-state'), 0o1777);
    writeFileSync(path.join(this.dir, 'owner'), ownerLine());
    this.clientKey = path.join(this.dir, 'client_ed25519');
    this.clientKeyWithPassphrase = path.join(this.dir, 'client_ed25519_passphrase');
    this.knownHosts = path.join(this.dir, 'known_hosts');
    this.env = { [LAB_ENV.password]: LAB_PASSWORD, [LAB_ENV.passphrase]: this.passphrase };
  }

  async init(): Promise<void> {
    const names = Array.from({ length: this.count }, (_, i) => `h${i + 1}`);
    for (const name of names) mkdirSync(path.join(this.dir, name));
    const [hostKeys] = await Promise.all([
      Promise.all(names.map((n) => keygen(path.join(this.dir, n, 'ssh_host_ed25519_key'), '', `kplay-lab-${n}`))),
      keygen(this.clientKey, '', 'kplay-lab-client'),
      keygen(this.clientKeyWithPassphrase, this.passphrase, 'kplay-lab-client-passphrase'),
      ensureUsers(),
      ensurePrivsepDir(),
    ]);
    const authorized =
      readFileSync(`${this.clientKey}.pub`, 'utf8') + readFileSync(`${this.clientKeyWithPassphrase}.pub`, 'utf8');
    const akDir = path.join(this.dir, 'authorized_keys');
    mkdirSync(akDir, { mode: 0o755 });
    for (const u of [this.users.root, SUDOER, PWUSER]) writeFileSync(path.join(akDir, u), authorized, { mode: 0o644 });

    for (const [i, name] of names.entries()) {
      const address = `127.0.0.${i + 2}`;
      const info = { name, address, index: i };
      const prefix = this.wrap ? this.wrap(info) : [];
      this.hosts.push(new Host(name, address, hostKeys[i]!, path.join(this.dir, name), prefix, this.netns?.(info)));
    }
    // The port is free when checked but may be taken before sshd binds it; then pick another.
    for (let attempt = 1; ; attempt++) {
      const port = await pickPort(this.hosts.map((h) => h.address));
      for (const h of this.hosts) h.configure(port, akDir);
      this.writeKnownHosts();
      const results = await Promise.allSettled(this.hosts.map((h) => h.start()));
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (!failed) return;
      for (const h of this.hosts) h.kill();
      await Promise.all(this.hosts.map((h) => h.exited()));
      await Promise.all(this.hosts.map((h) => h.unforward()));
      if (!(failed.reason instanceof LabError && failed.reason.addressInUse) || attempt >= 5) throw failed.reason;
    }
  }

  host(name: string): LabHost {
    const h = this.hosts.find((x) => x.name === name);
    if (!h) throw new Error(`no lab host ${name}; the lab has ${this.hosts.map((x) => x.name).join(', ')}`);
    return h;
  }

  private writeKnownHosts(): void {
    writeFileSync(this.knownHosts, this.hosts.map((h) => `${h.knownHostsName} ${h.hostKeyLine}\n`).join(''));
  }

  knownHostsHashed(): string {
    const file = path.join(this.dir, 'known_hosts_hashed');
    const lines = this.hosts.map((h) => {
      const salt = randomBytes(20);
      const hash = createHmac('sha1', salt).update(h.knownHostsName).digest();
      return `|1|${salt.toString('base64')}|${hash.toString('base64')} ${h.hostKeyLine}\n`;
    });
    writeFileSync(file, lines.join(''));
    return file;
  }

  inventory(opts: InventoryOptions = {}): string {
    const names = opts.hosts ?? this.hosts.map((h) => h.name);
    const hosts: Record<string, Record<string, unknown>> = {};
    for (const n of names) {
      const h = this.host(n);
      // The lab's hosts share one filesystem: a kplay state folder each (lock, journal, backups)
      // keeps them apart as separate machines would be, and keeps the machine's /var/lib/kplay out of tests.
      // Inside /tmp, so that users other than root can write theirs too.
      // (Root only: other users keep kplay's defaults, ~/.kplay, or /var/lib/kplay through sudo.)
      const user = opts.user ?? 'root';
      const stateDir = user === 'root' ? { stateDir: path.join(this.dir, 'kplay-state', n) } : {};
      hosts[n] = { address: h.address, ...stateDir, ...opts.hostSettings?.[n] };
    }
    const doc = {
      defaults: {
        user: opts.user ?? 'root',
        port: this.hosts[0]!.port,
        identityFile: this.clientKey,
        knownHosts: this.knownHosts,
        hostKeyChecking: 'strict',
        ...opts.defaults,
      },
      hosts,
      ...opts.extra,
    };
    const file = path.join(this.dir, `inventory-${++this.inventories}.yaml`);
    writeFileSync(file, stringify(doc));
    return file;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(this.hosts.map((h) => h.stop({ sessions: true })));
    await Promise.all(this.hosts.map((h) => h.unforward()));
    this.destroySync();
  }

  /** Last resort, also for exit hooks: SIGKILL whatever is left and remove the folder. */
  destroySync(): void {
    this.closed = true;
    for (const h of this.hosts) h.kill();
    for (const pid of pidsMentioning(this.dir)) signal(pid, 'SIGKILL');
    rmSync(this.dir, { recursive: true, force: true });
    live.delete(this);
  }
}

class Host implements LabHost {
  port = 0;
  readonly hostKeyLine: string;
  readonly fingerprint: string;
  readonly logPath: string;
  private readonly configPath: string;
  private child: ChildProcess | undefined;
  private exit: Promise<void> = Promise.resolve();

  constructor(
    readonly name: string,
    readonly address: string,
    publicKey: string,
    private readonly hostDir: string,
    /** Command prefix from SshLabOptions.wrap; empty when sshd runs directly. */
    private readonly prefix: readonly string[] = [],
    /** SshLabOptions.netns: the pid whose network namespace sshd listens in, if not the machine's. */
    private readonly netnsPid?: number,
  ) {
    const [type, blob] = publicKey.trim().split(/\s+/);
    this.hostKeyLine = `${type} ${blob}`;
    this.fingerprint = `SHA256:${createHash('sha256').update(Buffer.from(blob!, 'base64')).digest('base64').replace(/=+$/, '')}`;
    this.logPath = path.join(hostDir, 'sshd.log');
    this.configPath = path.join(hostDir, 'sshd_config');
  }

  /** How OpenSSH names this host in known_hosts (a non-22 port needs the bracket form). */
  get knownHostsName(): string {
    return `[${this.address}]:${this.port}`;
  }

  configure(port: number, authorizedKeysDir: string): void {
    this.port = port;
    writeFileSync(
      this.configPath,
      [
        `# kplay test lab, host ${this.name}`,
        `ListenAddress ${this.address}:${port}`,
        `HostKey ${path.join(this.hostDir, 'ssh_host_ed25519_key')}`,
        `PidFile ${path.join(this.hostDir, 'sshd.pid')}`,
        `AuthorizedKeysFile ${authorizedKeysDir}/%u`,
        'PubkeyAuthentication yes',
        'PasswordAuthentication yes',
        'KbdInteractiveAuthentication no',
        'PermitRootLogin yes',
        // Without PAM sshd checks /etc/shadow itself: a "!" password field counts as a locked account.
        'UsePAM no',
        // The lab lives in /tmp, which StrictModes rejects.
        'StrictModes no',
        'MaxSessions 10',
        // Tests open many connections at once; the default 10:30:100 would drop some at random.
        'MaxStartups 100',
        'AllowTcpForwarding yes',
        'X11Forwarding no',
        'PrintMotd no',
        'PrintLastLog no',
        'AcceptEnv LANG LC_*',
        'Subsystem sftp /usr/lib/openssh/sftp-server',
        'LogLevel VERBOSE',
        // Sessions of clients that died without closing (killed test processes) go away within ~10 s.
        'ClientAliveInterval 5',
        'ClientAliveCountMax 2',
        'LoginGraceTime 20',
        '',
      ].join('\n'),
    );
  }

  private forward: NetnsForward | undefined;
  /** kill() was called on the current sshd: start() waits for it to exit instead of taking it as running. */
  private killed = false;

  /** Stops relaying into the host's network namespace (SshLabOptions.netns), if it does. */
  async unforward(): Promise<void> {
    await this.forward?.close();
    this.forward = undefined;
  }

  /** The spawned process (sshd itself, or the outermost wrapper), while it runs. */
  private childPid(): number | undefined {
    const c = this.child;
    return c && c.exitCode === null && c.signalCode === null ? c.pid : undefined;
  }

  sshdPid(): number | undefined {
    const pid = this.childPid();
    if (pid === undefined || this.prefix.length === 0) return pid;
    // Wrapped: the listener is the shallowest process below the wrapper that runs the sshd binary (sessions are
    // deeper). Its command line is no help: sshd retitles itself "sshd: /usr/sbin/sshd ... [listener] ...".
    for (const p of [pid, ...descendants(pid)]) {
      if (exePath(p) === SSHD) return alive(p) ? p : undefined;
    }
    return undefined;
  }

  /** Resolves once the current sshd has exited. */
  async exited(): Promise<void> {
    // The child is unref'd: without a ref while waiting, an otherwise idle process would exit mid-await.
    const c = this.child;
    c?.ref();
    try {
      await this.exit;
    } finally {
      c?.unref();
    }
  }

  async start(): Promise<void> {
    // A killed sshd may not have exited yet (SIGKILL is delivered asynchronously): it is not running.
    if (this.sshdPid() !== undefined && !this.killed) return;
    await this.exited();
    this.killed = false;
    if (this.netnsPid !== undefined && !this.forward) {
      try {
        this.forward = await forwardIntoNetns(this.netnsPid, this.address, this.port);
      } catch (e) {
        throw new LabError(`relaying ${this.address}:${this.port} into the namespace of pid ${this.netnsPid}: ${(e as Error).message}`, (e as NodeJS.ErrnoException).code === 'EADDRINUSE');
      }
    }
    const logFd = openSync(this.logPath, 'a');
    let child: ChildProcess;
    try {
      // sshd re-executes itself per connection, which needs the absolute path.
      const argv = [...this.prefix, SSHD, '-f', this.configPath, '-D', '-e'];
      child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', logFd, logFd] });
    } finally {
      closeSync(logFd);
    }
    // A forgotten close() must not keep the test process alive; the exit hook still kills sshd.
    child.unref();
    this.child = child;
    let exitInfo: string | undefined;
    this.exit = new Promise<void>((resolve) => {
      child.once('error', (err) => {
        exitInfo = err.message;
        resolve();
      });
      child.once('exit', (code, sig) => {
        exitInfo = sig ? `killed by ${sig}` : `exit code ${code}`;
        resolve();
      });
    });
    const deadline = Date.now() + STARTUP_TIMEOUT_MS;
    for (;;) {
      if (exitInfo !== undefined) {
        const log = this.logTail();
        throw new LabError(
          `sshd for ${this.name} (${this.address}:${this.port}) ended at startup (${exitInfo}). Log:\n${log}`,
          /Address already in use/.test(log),
        );
      }
      // Through a relay the connection is accepted before sshd listens: only its banner says it is up.
      if (await (this.forward ? sshBanner(this.address, this.port) : canConnect(this.address, this.port))) return;
      if (Date.now() > deadline) {
        this.kill();
        throw new LabError(
          `sshd for ${this.name} did not accept connections on ${this.address}:${this.port} within ${STARTUP_TIMEOUT_MS} ms. Log:\n${this.logTail()}`,
        );
      }
      await sleep(20);
    }
  }

  async stop(opts: { sessions?: boolean } = {}): Promise<void> {
    const pid = this.sshdPid();
    if (this.prefix.length > 0) {
      const wrapper = this.childPid();
      // A frozen wrapper could not notice its sshd ending.
      if (wrapper !== undefined) for (const p of [wrapper, ...descendants(wrapper)]) signal(p, 'SIGCONT');
      if (pid === undefined && wrapper !== undefined) {
        this.kill(); // the wrapper runs but no listener (yet): nothing to stop gracefully
        await this.exited();
        return;
      }
    }
    if (pid === undefined) return;
    const pids = opts.sessions ? [pid, ...descendants(pid)] : [pid];
    for (const p of pids) signal(p, 'SIGCONT'); // a frozen process would hold SIGTERM until thawed
    for (const p of pids) signal(p, 'SIGTERM');
    const deadline = Date.now() + STOP_GRACE_MS;
    while (pids.some(alive) && Date.now() < deadline) await sleep(20);
    for (const p of pids.filter(alive)) signal(p, 'SIGKILL');
    if (this.prefix.length > 0) {
      // The wrapper should end with its sshd; if it does not, end it and whatever it still runs.
      const wrapDeadline = Date.now() + STOP_GRACE_MS;
      while (this.childPid() !== undefined && Date.now() < wrapDeadline) await sleep(20);
      this.kill();
    }
    await this.exited();
  }

  kill(): void {
    const pid = this.childPid();
    if (pid === undefined) return;
    this.killed = true;
    for (const p of [pid, ...descendants(pid)]) signal(p, 'SIGKILL');
  }

  freeze(): void {
    const pid = this.childPid();
    if (pid === undefined) return;
    for (const p of [pid, ...descendants(pid)]) signal(p, 'SIGSTOP');
  }

  thaw(): void {
    const pid = this.childPid();
    if (pid === undefined) return;
    for (const p of [pid, ...descendants(pid)]) signal(p, 'SIGCONT');
  }

  logTail(lines = 30): string {
    try {
      return readFileSync(this.logPath, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }
}

// ---- users, sudo, privilege separation ----

let usersReady: Promise<void> | undefined;

/** Creates the lab users and their sudo rules once per process; idempotent across runs and processes. */
function ensureUsers(): Promise<void> {
  usersReady ??= (async () => {
    const sudoersSrc = path.join(mkdtempSync(path.join(tmpdir(), 'kplay-sudoers-')), 'kplay-lab');
    writeFileSync(
      sudoersSrc,
      [
        '# kplay test lab (test/support/sshd-lab.ts)',
        `${SUDOER} ALL=(ALL:ALL) NOPASSWD: ALL`,
        // Always ask, and never print the once-per-user lecture, so a test sees the same thing on every run.
        `Defaults:${PWUSER} timestamp_timeout=0, lecture=never`,
        `${PWUSER} ALL=(ALL:ALL) ALL`,
        '',
      ].join('\n'),
      { mode: 0o440 },
    );
    // flock: test files run in parallel processes, and useradd/chpasswd fail on a locked /etc/passwd.
    const script = `
      set -eu
      for u in ${SUDOER} ${PWUSER}; do
        id -u "$u" >/dev/null 2>&1 || useradd --create-home --shell /bin/sh "$u"
      done
      # useradd leaves "!" (locked), which sshd without PAM refuses even for keys; "*" only rules out passwords.
      case "$(getent shadow ${SUDOER} | cut -d: -f2)" in '!'*) usermod -p '*' ${SUDOER} ;; esac
      printf '%s:%s\\n' ${PWUSER} "$LAB_PASSWORD" | chpasswd
      if ! cmp -s "$SUDOERS_SRC" ${SUDOERS_FILE}; then
        visudo -cqf "$SUDOERS_SRC"
        # sudo ignores names with a dot, so the temporary file is never half-read.
        install -m 0440 -o root -g root "$SUDOERS_SRC" ${SUDOERS_FILE}.new
        mv -f ${SUDOERS_FILE}.new ${SUDOERS_FILE}
      fi`;
    mkdirSync('/run/lock', { recursive: true });
    try {
      await run('flock', ['/run/lock/kplay-sshlab-users.lock', 'sh', '-c', script], {
        ...process.env,
        LAB_PASSWORD,
        SUDOERS_SRC: sudoersSrc,
      });
    } finally {
      rmSync(path.dirname(sudoersSrc), { recursive: true, force: true });
    }
  })();
  usersReady.catch(() => {
    usersReady = undefined;
  });
  return usersReady;
}

async function ensurePrivsepDir(): Promise<void> {
  // sshd refuses to start without it; systemd would normally create it.
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
}

// ---- helpers ----

function run(cmd: string, args: string[], env?: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { env, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} ${args.join(' ')} failed: ${err.message}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

/** Generates an ed25519 key pair and returns the public key line. */
async function keygen(file: string, passphrase: string, comment: string): Promise<string> {
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', passphrase, '-C', comment, '-f', file]);
  return readFileSync(`${file}.pub`, 'utf8');
}

/** A random port in 20000-60000 that binds on every address. */
async function pickPort(addresses: string[]): Promise<number> {
  for (let i = 0; i < 100; i++) {
    const port = randomInt(20000, 60001);
    let free = true;
    for (const a of addresses) {
      if (!(await canBind(a, port))) {
        free = false;
        break;
      }
    }
    if (free) return port;
  }
  throw new Error(`no port in 20000-60000 was free on all of ${addresses.join(', ')}`);
}

function canBind(address: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen({ host: address, port, exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

function canConnect(address: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect({ host: address, port });
    const done = (ok: boolean) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(1000, () => done(false));
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
  });
}

/** Whether an SSH server answers on address:port with its identification line. */
function sshBanner(address: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect({ host: address, port });
    let got = '';
    const done = (ok: boolean) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(2000, () => done(false));
    sock.on('data', (d: Buffer) => {
      got += d.toString('latin1');
      if (got.startsWith('SSH-')) done(true);
    });
    sock.once('close', () => done(false));
    sock.once('error', () => done(false));
  });
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

/** The executable a process runs, undefined when it is gone. */
function exePath(pid: number): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/exe`);
  } catch {
    return undefined;
  }
}

/**
 * Every descendant of pid. sshd's per-connection children call setsid(), so a process group kill would
 * miss them; the parent links in /proc do not.
 */
function descendants(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const ppid = Number(procStat(entry)?.[1]);
    if (!ppid) continue;
    let list = children.get(ppid);
    if (!list) children.set(ppid, (list = []));
    list.push(Number(entry));
  }
  const out: number[] = [];
  const queue = [root];
  while (queue.length) {
    for (const c of children.get(queue.shift()!) ?? []) {
      out.push(c);
      queue.push(c);
    }
  }
  return out;
}

/** Processes whose command line mentions text (sshd listeners carry their config path there). */
function pidsMentioning(text: string): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(text)) out.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** Removes labs whose test process died without cleaning up (SIGKILL, OOM): their sshds would linger. */
function reapOrphanLabs(): void {
  for (const entry of readdirSync(tmpdir())) {
    if (!entry.startsWith(LAB_PREFIX)) continue;
    const dir = path.join(tmpdir(), entry);
    // Unreadable: being created right now, or not ours.
    if (ownerAlive(path.join(dir, 'owner')) !== false) continue;
    for (const p of pidsMentioning(dir)) signal(p, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---- cleanup on exit ----

const live = new Set<Lab>();
let hooksInstalled = false;

function destroyAll(): void {
  for (const lab of [...live]) lab.destroySync();
}

function installExitHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', destroyAll);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = () => {
      destroyAll();
      // Listening replaced the default "exit on signal"; restore it when nobody else handles the signal.
      if (process.listenerCount(sig) === 1) {
        process.removeListener(sig, onSignal);
        process.kill(process.pid, sig);
      }
    };
    process.on(sig, onSignal);
  }
}

