import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { chmod, copyFile, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { firstLine } from './request.js';
import { killScript, ShellSession } from './shell-session.js';
import type { ShellPipes } from './shell-session.js';
import { taskScript } from './task-script.js';
import type { Connection, RunOptions, RunResult, Tunnel, WriteOptions } from './types.js';

/** sudo's arguments to run as a user ('' for none: no sudo), before the command. */
function sudoArgs(as: string): string[] {
  return as === 'root' ? ['-n', '--'] : ['-n', '-u', as, '--'];
}

/** Starts `sh` (or `sudo -n [-u USER] sh`) on the controller as a session's pipes. */
function localShell(as: string): ShellPipes {
  const [cmd, args] = as ? ['sudo', [...sudoArgs(as), 'sh']] : ['sh', []];
  const child = spawn(cmd, args as string[], { stdio: ['pipe', 'pipe', 'pipe'] });
  return {
    stdin: child.stdin,
    stdout: child.stdout,
    stderr: child.stderr,
    onClose: (cb) => {
      child.on('exit', (code, signal) => cb(`the local shell exited (${signal ?? `status ${code}`})`));
      child.on('error', (e) => cb(`the local shell could not start: ${e.message}`));
    },
    close: () => child.kill('SIGTERM'),
  };
}

/** The controller itself, for `local: true` tasks: the same interface as a host. */
export class LocalConnection implements Connection {
  readonly name: string = 'localhost';
  // The controller cannot drop away from itself.
  readonly lost = undefined;
  /** Shells by the user sudo runs them as; '' is kplay's own user. */
  private sessions = new Map<string, Promise<ShellSession>>();

  private session(as: string): Promise<ShellSession> {
    let s = this.sessions.get(as);
    if (!s) {
      s = ShellSession.open(localShell(as), async (mark, signal) => {
        const script = killScript(mark, signal);
        spawnSync(as ? 'sudo' : 'sh', as ? [...sudoArgs(as), 'sh', '-c', script] : ['-c', script], { stdio: 'ignore' });
      });
      this.sessions.set(as, s);
      s.catch(() => this.sessions.delete(as));
    }
    return s;
  }

  async run(command: string, opts: RunOptions): Promise<RunResult> {
    const s = await this.session(opts.become ? (opts.becomeUser ?? 'root') : '');
    return s.run(taskScript(command, opts), opts);
  }

  async readFile(p: string): Promise<Buffer | undefined> {
    try {
      return await readFile(p);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
  }

  async writeFile(p: string, data: Buffer | { localPath: string }, opts: WriteOptions = {}): Promise<void> {
    await mkdir(path.dirname(p), { recursive: true });
    const tmp = `${p}.kplay-${randomBytes(6).toString('hex')}`;
    try {
      if (Buffer.isBuffer(data)) await writeFile(tmp, data);
      else await copyFile(data.localPath, tmp);
      if (opts.mode) await chmod(tmp, parseInt(opts.mode, 8));
      await rename(tmp, p);
    } catch (e) {
      await rm(tmp, { force: true });
      throw e;
    }
  }

  async fetchFile(p: string, localPath: string): Promise<void> {
    await mkdir(path.dirname(localPath), { recursive: true });
    // Streamed to the end, not copied by size: /proc files report a size of 0 yet have content.
    await pipeline(createReadStream(p), createWriteStream(localPath));
  }

  async sha256(p: string): Promise<string | undefined> {
    const data = await this.readFile(p);
    return data && createHash('sha256').update(data).digest('hex');
  }

  request(remote: { host: string; port: number }, data: string, timeoutMs: number): Promise<string> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(remote.port, remote.host, () => firstLine(socket, data, timeoutMs).then(resolve, reject));
      socket.once('error', reject);
    });
  }

  forward(): Promise<Tunnel> {
    return Promise.reject(new Error('a tunnel needs a host: `local: true` tasks run on the controller already'));
  }

  async close(): Promise<void> {
    for (const s of this.sessions.values()) (await s.catch(() => undefined))?.close();
    this.sessions.clear();
  }
}
