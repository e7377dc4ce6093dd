/**
 * One debug session of a shipped playbook against a stand-in node, driven as a user would: the
 * kplay CLI runs the playbook, a Delve client (the JSON-RPC API the IDEs use) goes through kplay's
 * tunnel, stops the component on a breakpoint hit by a real request, and Ctrl-C ends the session.
 * The end-to-end tests and `npm run demo` both use it.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DelveClient } from './delve-client.js';
import type { StoppedAt } from './delve-client.js';
import type { SshLab } from './sshd-lab.js';
import type { Component, StandinCluster, StandinNode } from './standin-cluster.js';
import { REPO_ROOT } from '../helpers/files.js';
import { freePort } from '../helpers/net.js';

export const PLAYBOOK_OF: Record<Component, string> = {
  'kube-apiserver': 'debug-apiserver.yaml',
  'kube-scheduler': 'debug-scheduler.yaml',
  'kube-controller-manager': 'debug-controller-manager.yaml',
  'kube-proxy': 'debug-kube-proxy.yaml',
  kubelet: 'debug-kubelet.yaml',
};

const BIN = path.join(REPO_ROOT, 'bin/kplay.cjs');

/** The line of the stand-in tree that every health check runs, marked for tests. */
export function breakpointLine(treeDir: string): { file: string; line: number } {
  const file = path.join(treeDir, 'pkg/standin/healthz.go');
  const line = readFileSync(file, 'utf8').split('\n').findIndex((l) => l.includes('// kplay-e2e: breakpoint')) + 1;
  if (line === 0) throw new Error(`no breakpoint marker in ${file}`);
  return { file, line };
}

export { freePort };

/** GET url (certificates not verified, as curl -k); resolves with status and body. */
export function httpGet(url: string, timeoutMs = 60_000): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const get = url.startsWith('https:') ? https.get : http.get;
    const req = get(url, { rejectUnauthorized: false, timeout: timeoutMs }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer from ${url} within ${timeoutMs} ms`)));
    req.on('error', reject);
  });
}

let treeCopy: string | undefined;

/**
 * The stand-in Kubernetes tree as a developer's checkout that the playbooks build from: a copy
 * (without _output) made once per process, because the stand-in nodes' release binaries are built
 * in the original and a debug build there could be overwritten by another test process.
 */
export function checkoutOf(cluster: StandinCluster): string {
  if (!treeCopy) {
    treeCopy = path.join(mkdtempSync(path.join(tmpdir(), 'kplay-checkout-')), 'kubernetes');
    cpSync(cluster.treeDir, treeCopy, { recursive: true, filter: (src) => path.basename(src) !== '_output' });
    process.on('exit', () => rmSync(path.dirname(treeCopy!), { recursive: true, force: true }));
  }
  return treeCopy;
}

/** Where a session runs: a lab host (the node), the checkout to build from, and the health URL to check. */
export interface DebugTarget {
  lab: SshLab;
  /** The lab host name of the node (its inventory name). */
  host: string;
  /** The Kubernetes checkout the run builds from (source_dir). */
  treeDir: string;
  /** health_url for the playbook; the playbook's default when absent. */
  healthUrl?: string;
  /** A flock held from the start of the run to its end: other builds in treeDir wait (k8s-tree.ts). */
  lockFile?: string;
  /** -e vars that say how the controller reaches the cluster (kubectl, kubeconfig), before extraVars. */
  controllerVars?: string[];
  /** More environment for kplay (and so for its tasks on the controller). */
  env?: Record<string, string>;
}

/** The target of a stand-in node: its lab host, a copy of the stand-in tree, its health URL, the controller's kubectl. */
export function standinTarget(cluster: StandinCluster, node: StandinNode, c: Component): DebugTarget {
  const controller = cluster.controller(node);
  return { lab: cluster.lab, host: node.name, treeDir: checkoutOf(cluster), healthUrl: node.healthUrl(c), controllerVars: controller.vars, env: controller.env };
}

export interface DebugRunOptions extends DebugTarget {
  /** One of the five, or another component together with `playbook`. */
  component: Component | string;
  /** A playbook file of the user's instead of the shipped playbook of `component`. */
  playbook?: string;
  /** Scratch folder on the machine: IDE settings, uploads, kplay's state. */
  workDir: string;
  /** ide_dir, where the IDE settings go (default workDir/ide). */
  ideDir?: string;
  /** The SSH user (default root); anyone else uses sudo through become. */
  user?: string;
  extraVars?: string[];
  /** More arguments for kplay run (--detach, say). */
  flags?: string[];
  /** Called with each chunk of kplay's output. */
  onOutput?: (text: string) => void;
}

export interface DebugRun {
  child: ChildProcess;
  /** The Kubernetes checkout the run builds from (source_dir). */
  treeDir: string;
  dlvPort: number;
  localPort: number;
  ideDir: string;
  remoteDir: string;
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string }>;
  /** Resolves once Delve answers through the tunnel (the run holds); rejects if kplay ends first. */
  attached(timeoutMs?: number): Promise<void>;
}

/** Holds `flock FILE` in a small process until the returned function is called. */
async function holdLock(file: string): Promise<() => void> {
  const holder = spawn('flock', [file, 'sh', '-c', 'echo held; exec cat >/dev/null'], { stdio: ['pipe', 'pipe', 'ignore'] });
  await new Promise<void>((resolve, reject) => {
    holder.stdout!.once('data', () => resolve());
    holder.once('exit', (code) => reject(new Error(`flock ${file} ended (${code})`)));
  });
  return () => holder.stdin!.end();
}

/** Starts `kplay run debug-*.yaml` for one component on one node. */
export async function startDebugRun(o: DebugRunOptions): Promise<DebugRun> {
  const [dlvPort, localPort] = [await freePort(), await freePort()];
  const treeDir = o.treeDir;
  const ideDir = o.ideDir ?? path.join(o.workDir, 'ide');
  const remoteDir = path.join(o.workDir, 'uploads');
  mkdirSync(ideDir, { recursive: true });
  // kplay's state on the node goes to the scratch folder, not the machine's /var/lib/kplay.
  const inventory = o.lab.inventory(o.user ? { user: o.user, hostSettings: { [o.host]: { stateDir: path.join(o.workDir, 'node-state') } } } : undefined);
  const args = [
    BIN, 'run', o.playbook ?? PLAYBOOK_OF[o.component as Component], '-i', inventory, '--limit', o.host,
    '-e', `source_dir=${treeDir}`,
    ...(o.healthUrl ? ['-e', `health_url=${o.healthUrl}`] : []),
    '-e', `dlv_port=${dlvPort}`, '-e', `local_port=${localPort}`,
    '-e', `ide_dir=${ideDir}`, '-e', `remote_dir=${remoteDir}`,
    ...[...(o.controllerVars ?? []), ...(o.extraVars ?? [])].flatMap((e) => ['-e', e]),
    ...(o.flags ?? []),
  ];
  const release = o.lockFile ? await holdLock(o.lockFile) : undefined;
  const child = spawn(process.execPath, args, {
    cwd: o.workDir,
    env: { ...process.env, SSH_AUTH_SOCK: '', KPLAY_STATE_DIR: path.join(o.workDir, 'state'), NO_COLOR: '1', ...o.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const take = (d: Buffer) => {
    out += d.toString();
    o.onOutput?.(d.toString());
  };
  child.stdout!.on('data', take);
  child.stderr!.on('data', take);
  let done = false;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string }>((resolve) =>
    child.on('exit', (code, signal) => {
      done = true;
      release?.();
      resolve({ code, signal, out });
    }),
  );
  return {
    child, treeDir, dlvPort, localPort, ideDir, remoteDir, exited,
    output: () => out,
    async attached(timeoutMs = 300_000) {
      const t0 = Date.now();
      for (;;) {
        if (done) throw new Error(`kplay ended before the hold:\n${out}`);
        if (/holding until Ctrl-C/.test(out)) {
          const c = await DelveClient.connect(localPort).catch(() => undefined);
          if (c) {
            const v = await c.call('GetVersion', {}, 5000).catch(() => undefined);
            c.close();
            if (v) return;
          }
        }
        if (Date.now() - t0 > timeoutMs) throw new Error(`no hold within ${timeoutMs} ms:\n${out}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    },
  };
}

/**
 * Through the tunnel: stops the running component, sets a breakpoint on the health handler's
 * marked line, sends a real health request, and returns where the component stopped; then clears
 * the breakpoint and lets it run again, and checks that the held request is answered.
 */
export async function hitBreakpoint(run: DebugRun, node: StandinNode, component: Component): Promise<StoppedAt> {
  const bp = breakpointLine(run.treeDir);
  const client = await DelveClient.connect(run.localPort);
  try {
    await client.halt();
    const id = await client.setBreakpoint(bp.file, bp.line);
    const stopped = client.continueUntilStopped(60_000);
    // Sent while the component runs; it is held at the breakpoint until the client continues.
    const answer = httpGet(node.healthUrl(component));
    const at = await stopped;
    await client.clearBreakpoint(id);
    client.resume();
    const r = await answer;
    if (r.status !== 200 || r.body.trim() !== 'ok') throw new Error(`the held health request got ${r.status} ${r.body}`);
    return at;
  } finally {
    client.close();
  }
}
