// Where a cluster inventory's hosts come from: `-i k8s:[CONTEXT]`, or an inventory file's `cluster:`
// mapping, listed with the real kubectl on the controller. What can go wrong on the way (no kubectl,
// an unknown context, a cluster that does not answer, credentials it refuses) becomes one Diagnostic
// that says what to do; kubectl's own words are kept, cut to their first line.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Diagnostic, SourcePos } from '../errors.js';
import { expandTilde } from '../connection/ssh-config.js';
import { suggest } from '../text/suggest.js';
import { NodeListError, parseNodeList } from './kube-nodes.js';
import type { AddressType, KubeNode } from './kube-nodes.js';

/** What `-i` takes to mean "the Nodes of a cluster": `k8s:` alone is the current context. */
export const K8S_PREFIX = 'k8s:';
/** The environment variable naming kubectl on the controller, when `cluster.kubectl` does not. */
export const KUBECTL_ENV = 'KPLAY_KUBECTL';
/** How long kubectl may take to list the Nodes (exec credential plugins can be slow). */
const KUBECTL_TIMEOUT_MS = 60_000;

/** Which cluster, and how to ask it. */
export interface ClusterSpec {
  /** The kubeconfig context; undefined means kubectl's current one. */
  context?: string;
  /** An explicit kubeconfig (absolute); undefined lets kubectl use $KUBECONFIG or ~/.kube/config. */
  kubeconfig?: string;
  kubectl: string;
  address: AddressType;
  /** A label selector (kubectl get nodes -l). */
  selector?: string;
  /** Where the spec was written (an inventory file's `cluster:`), for errors. */
  pos?: SourcePos;
}

/** The `cluster:` mapping of an inventory file, as written. */
export interface ClusterSettings {
  context?: string;
  kubeconfig?: string;
  kubectl?: string;
  address?: AddressType;
  selector?: string;
}

/** What one kubectl call gave. */
export interface KubectlResult {
  status: number | null;
  stdout: string;
  stderr: string;
  /** Set when kubectl could not be started or was killed (ENOENT, EACCES, ETIMEDOUT). */
  error?: NodeJS.ErrnoException;
}

/** Runs kubectl; tests pass their own. */
export type KubectlRunner = (kubectl: string, args: string[]) => KubectlResult;

/** Whether an `-i` value names a cluster rather than a file. */
export function isClusterArg(arg: string): boolean {
  return arg.startsWith(K8S_PREFIX);
}

/** `k8s:` or `k8s:CONTEXT`: the whole rest is the context, since context names hold `@`, `:` and `/`. */
export function clusterSpecFromArg(arg: string, env: NodeJS.ProcessEnv = process.env): ClusterSpec {
  const context = arg.slice(K8S_PREFIX.length);
  return { context: context === '' ? undefined : context, kubectl: env[KUBECTL_ENV] || 'kubectl', address: 'InternalIP' };
}

/** An inventory file's `cluster:` mapping; paths in it are relative to the file. */
export function clusterSpecFromSettings(c: ClusterSettings, inventoryFile: string, pos: SourcePos, env: NodeJS.ProcessEnv = process.env): ClusterSpec {
  const dir = path.dirname(inventoryFile);
  const file = (p: string) => path.resolve(dir, expandTilde(p));
  // A bare name (no slash) is looked up on PATH, as a shell would.
  const kubectl = c.kubectl === undefined ? env[KUBECTL_ENV] || 'kubectl' : c.kubectl.includes('/') ? file(c.kubectl) : c.kubectl;
  return { context: c.context, kubeconfig: c.kubeconfig === undefined ? undefined : file(c.kubeconfig), kubectl, address: c.address ?? 'InternalIP', selector: c.selector, pos };
}

/** Where the hosts came from, for plans and listings: "the Nodes of kubectl context X". */
export function describeCluster(spec: ClusterSpec): string {
  const context = spec.context === undefined ? 'the current kubectl context' : `kubectl context ${spec.context}`;
  const extras = [spec.kubeconfig && `kubeconfig ${spec.kubeconfig}`, spec.selector && `selector ${spec.selector}`].filter(Boolean);
  return `${context}${extras.length ? ` (${extras.join(', ')})` : ''}`;
}

/** kubectl's arguments before the command: which kubeconfig and context. */
function target(spec: ClusterSpec): string[] {
  return [...(spec.kubeconfig ? ['--kubeconfig', spec.kubeconfig] : []), ...(spec.context !== undefined ? ['--context', spec.context] : [])];
}

/** The Nodes of the cluster, or the one problem that kept kplay from listing them. */
export function listClusterNodes(spec: ClusterSpec, run: KubectlRunner = runKubectl): { nodes?: KubeNode[]; problem?: Diagnostic } {
  if (spec.kubeconfig && !existsSync(spec.kubeconfig)) {
    return fail(spec, `the kubeconfig ${spec.kubeconfig} does not exist`, 'Fix cluster.kubeconfig (relative to the inventory file), or leave it out to use $KUBECONFIG or ~/.kube/config.');
  }
  const args = [...target(spec), 'get', 'nodes', '-o', 'json', '--request-timeout=20s', ...(spec.selector ? ['-l', spec.selector] : [])];
  const r = run(spec.kubectl, args);
  if (r.error || r.status !== 0) return { problem: kubectlProblem(spec, r, run) };
  try {
    const nodes = parseNodeList(r.stdout, spec.address);
    if (nodes.length === 0) {
      return fail(spec, `kubectl listed no Nodes in ${describeCluster(spec)}`, spec.selector ? 'Check cluster.selector: no Node has those labels.' : 'Check that the context names the cluster you mean (kubectl get nodes).');
    }
    return { nodes };
  } catch (e) {
    if (!(e instanceof NodeListError)) throw e;
    return fail(spec, `${spec.kubectl} get nodes -o json printed something kplay cannot read: ${e.message}`, `Check that ${spec.kubectl} is kubectl (${KUBECTL_ENV} or cluster.kubectl names it).`);
  }
}

function fail(spec: ClusterSpec, message: string, hint: string): { problem: Diagnostic } {
  return { problem: { code: 'E_CLUSTER', severity: 'error', message, hint, pos: spec.pos } };
}

/** Why kubectl failed, in kplay's words where the cause is known, with kubectl's first line of stderr. */
function kubectlProblem(spec: ClusterSpec, r: KubectlResult, run: KubectlRunner): Diagnostic {
  const where = describeCluster(spec);
  const code = r.error?.code;
  if (code === 'ENOENT') {
    return fail(spec, `kubectl was not found (looked for ${JSON.stringify(spec.kubectl)})`, `Install kubectl on this machine, or name it: ${KUBECTL_ENV}=/path/to/kubectl, or kubectl: in the inventory's cluster: mapping.`).problem;
  }
  if (code === 'EACCES') return fail(spec, `${spec.kubectl} cannot be run (permission denied)`, `Make it executable (chmod +x), or name another kubectl with ${KUBECTL_ENV}.`).problem;
  if (code === 'ETIMEDOUT') {
    return fail(spec, `kubectl get nodes did not finish within ${KUBECTL_TIMEOUT_MS / 1000} s (${where})`, 'Check that the API server is reachable from this machine (kubectl get nodes), and any credential plugin the kubeconfig runs.').problem;
  }
  if (r.status === null) return fail(spec, `kubectl get nodes was ended by a signal (${where})`, 'Run the same kubectl get nodes yourself to see what stops it.').problem;
  const said = kubectlMessage(r.stderr);
  const unknownContext = /context "(.*)" does not exist/.exec(r.stderr) ?? /context was not found for specified context: (.*)/.exec(r.stderr);
  if (unknownContext && spec.context !== undefined) {
    const close = suggest(spec.context, contexts(spec, run));
    return fail(spec, `the kubeconfig has no context ${JSON.stringify(spec.context)}`, `${close ? `Did you mean "${close}"? ` : ''}List the contexts with kubectl config get-contexts.`).problem;
  }
  // Without any kubeconfig, kubectl falls back to http://localhost:8080.
  if (/no configuration has been provided|current-context is not set|current-context must exist|server localhost:8080 was refused/i.test(r.stderr)) {
    return fail(spec, `kubectl has no cluster to talk to: ${said}`, 'Name one: -i k8s:CONTEXT, KUBECONFIG=/path/to/kubeconfig, or an inventory file with cluster: {kubeconfig: ..., context: ...}.').problem;
  }
  if (/Unable to connect to the server|was refused|connection refused|no such host|i\/o timeout|dial tcp|Client\.Timeout|TLS handshake timeout|no route to host/i.test(r.stderr)) {
    return fail(spec, `the cluster's API server cannot be reached (${where}): ${said}`, 'Check the server address in the kubeconfig and that it is reachable from this machine (kubectl get nodes); behind a bastion, open a tunnel first.').problem;
  }
  if (/Unauthorized|Forbidden|must be logged in|certificate signed by unknown authority|x509/i.test(r.stderr)) {
    return fail(spec, `the cluster refused kubectl's credentials (${where}): ${said}`, 'The kubeconfig user needs to list Nodes (kubectl auth can-i list nodes); log in again if its credentials expired.').problem;
  }
  return fail(spec, `kubectl get nodes failed (exit ${r.status}, ${where}): ${said || 'no message'}`, 'Run the same kubectl get nodes yourself to see what is wrong.').problem;
}

function contexts(spec: ClusterSpec, run: KubectlRunner): string[] {
  const r = run(spec.kubectl, [...(spec.kubeconfig ? ['--kubeconfig', spec.kubeconfig] : []), 'config', 'get-contexts', '-o', 'name']);
  return r.status === 0 ? r.stdout.split('\n').filter(Boolean) : [];
}

/**
 * What kubectl said in the end: its last line that is not a log line (newer kubectls log every retry as
 * `E1130 18:53:02.269703 ...` before the message), without "error: ", at most 300 characters.
 */
function kubectlMessage(stderr: string): string {
  const lines = stderr.split('\n').map((l) => l.trim()).filter((l) => l && !/^[IWEF]\d{4} /.test(l));
  return (lines.at(-1) ?? '').replace(/^error:\s*/i, '').slice(0, 300);
}

/** kubectl for real: the controller's environment (KUBECONFIG, credential plugins' settings) passes through. */
export function runKubectl(kubectl: string, args: string[]): KubectlResult {
  const r = spawnSync(kubectl, args, { encoding: 'utf8', timeout: KUBECTL_TIMEOUT_MS, maxBuffer: 512 * 1024 * 1024, stdio: ['ignore', 'pipe', 'pipe'] });
  return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '', error: r.error as NodeJS.ErrnoException | undefined };
}
