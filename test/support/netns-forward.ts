/**
 * A TCP port of the machine that leads into another network namespace: connections to ADDRESS:PORT in the
 * machine's namespace reach the same ADDRESS:PORT inside the namespace of process PID. The SSH lab uses it
 * for an sshd inside a node with a network of its own (test/support/real-control-plane.ts), so that kplay
 * reaches that node as it would reach any host, while nothing of the node's network touches the machine's.
 *
 * The listener is a small process of its own, so that a test blocked in spawnSync does not stall the
 * connections it relays; it ends with its parent (its stdin closes). Each connection spawns one relay
 * (`nsenter --net` with this Node.js) that connects inside the namespace and copies bytes both ways;
 * nothing changes in either namespace's configuration.
 */
import { spawn } from 'node:child_process';

/** Runs inside the namespace: connects and relays stdin/stdout. */
const RELAY = `
const [host, port] = process.argv.slice(1);
const s = require('node:net').connect({ host, port: Number(port) });
s.on('error', () => process.exit(1));
process.stdin.pipe(s);
s.pipe(process.stdout);
s.on('close', () => process.exit(0));
`;

/** The listener: argv pid, address, port; prints "listening" once bound; exits when its stdin closes. */
const LISTENER = `
const { spawn } = require('node:child_process');
const net = require('node:net');
const [pid, host, port, relay] = process.argv.slice(1);
const server = net.createServer((sock) => {
  const r = spawn('nsenter', ['-t', pid, '-n', '--', process.execPath, '-e', relay, host, port], { stdio: ['pipe', 'pipe', 'ignore'] });
  const end = () => { sock.destroy(); r.kill('SIGKILL'); };
  sock.pipe(r.stdin);
  r.stdout.pipe(sock);
  sock.on('error', end);
  sock.on('close', end);
  r.stdin.on('error', end);
  r.on('exit', () => sock.end());
});
server.on('error', (e) => { process.stderr.write(e.code + ' ' + e.message); process.exit(1); });
server.listen({ host, port: Number(port), exclusive: true }, () => process.stdout.write('listening\\n'));
process.stdin.on('data', () => {});
process.stdin.on('end', () => process.exit(0));
`;

export interface NetnsForward {
  close(): Promise<void>;
}

/** Listens on address:port in the machine's namespace and relays each connection into PID's namespace. */
export function forwardIntoNetns(pid: number, address: string, port: number): Promise<NetnsForward> {
  const child = spawn(process.execPath, ['-e', LISTENER, String(pid), address, String(port), RELAY], { stdio: ['pipe', 'pipe', 'pipe'] });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return new Promise((resolve, reject) => {
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d));
    child.stdout.once('data', () => {
      // Listening: from now on a forgotten close() must not keep the test process alive (the listener
      // ends with it).
      child.unref();
      for (const s of [child.stdin, child.stdout, child.stderr]) (s as unknown as { unref?: () => void }).unref?.();
      resolve({
        close: async () => {
          child.ref();
          child.kill('SIGKILL');
          await exited;
        },
      });
    });
    child.once('exit', () => {
      const e = new Error(`relay on ${address}:${port}: ${err || 'ended'}`) as NodeJS.ErrnoException;
      if (err.startsWith('EADDRINUSE')) e.code = 'EADDRINUSE';
      reject(e);
    });
  });
}
