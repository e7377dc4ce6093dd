// npm run demo: the debug workflow of debug-apiserver.yaml and debug-kubelet.yaml, end to end, on
// one machine. A stand-in node (an sshd in its own namespaces with kubeadm's paths, a stand-in
// kubelet, systemctl and kubectl, Go stand-ins of the components; see standin/) takes the place
// of a real one; kplay, OpenSSH, Go and Delve are real. Each stage is printed as it happens.
// With --real (npm run demo -- --real): the debug-apiserver session on a real Kubernetes 1.20.2
// control plane instead (scripts/demo-real.ts).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from '../test/helpers/files.js';
import { checkoutOf, hitBreakpoint, PLAYBOOK_OF, standinTarget, startDebugRun } from '../test/support/debug-session.js';
import { standinUnavailable, startStandinCluster } from '../test/support/standin-cluster.js';
import type { Component, StandinNode } from '../test/support/standin-cluster.js';

const PACKAGES = ['openssh-server', 'openssh-client', 'sudo', 'procps', 'util-linux', 'golang-go', 'make', 'delve', 'openssl', 'curl', 'hostname'];
const bold = (s: string) => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s);
let stage = 0;
const say = (s: string) => console.log(`\n${bold(`${++stage}. ${s}`)}`);
const note = (s: string) => console.log(`   ${s}`);

function prerequisites(): void {
  if (process.getuid?.() !== 0) {
    console.error(`npm run demo starts sshd servers in namespaces of their own, so it needs root.\nIt also needs these Debian packages: ${PACKAGES.join(' ')}`);
    process.exit(1);
  }
  const missing = PACKAGES.filter((p) => {
    try {
      return !execFileSync('dpkg-query', ['-W', '-f=${Status}', p], { encoding: 'utf8' }).includes('install ok installed');
    } catch {
      return true;
    }
  });
  if (missing.length) {
    console.log(`Installing the Debian packages the demo needs: ${missing.join(' ')}`);
    execFileSync(path.join(REPO_ROOT, 'scripts/install-test-deps.sh'), { stdio: 'inherit' });
  }
  const why = standinUnavailable();
  if (why) {
    console.error(`The demo cannot run here: ${why}`);
    process.exit(1);
  }
}

const sha = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex').slice(0, 16);

async function session(node: StandinNode, c: Component, work: string, cluster: Awaited<ReturnType<typeof startStandinCluster>>): Promise<void> {
  const playbook = PLAYBOOK_OF[c];
  const [before] = await node.pids(c);
  const flags = await node.cmdline(before!);
  const manifest = c === 'kubelet' ? '/etc/systemd/system/kubelet.service.d/10-kubeadm.conf' : node.manifestPath(c);
  const manifestSha = sha(node.hostPath(manifest));
  say(`${c} runs on ${node.name} (pid ${before}) with ${flags.length - 1} flags; ${manifest} sha256 ${manifestSha}…`);
  note(flags.slice(0, 4).join(' ') + (flags.length > 4 ? ' …' : ''));

  const inv = cluster.lab.inventory();
  const common = ['-i', inv, '--limit', node.name, '-e', `source_dir=${checkoutOf(cluster)}`, '-e', `health_url=${node.healthUrl(c)}`];
  say(`Dry run first: kplay run ${playbook} --dry-run (nothing is connected)`);
  const plan = execFileSync(process.execPath, [path.join(REPO_ROOT, 'bin/kplay.cjs'), 'run', playbook, ...common, '--dry-run'], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  for (const line of plan.split('\n').filter((l) => /^\s+\d+(\.\d+)* /.test(l) && !/skip:/.test(l))) note(line.trim());

  say(`The real run: kplay run ${playbook} (build with DBG=1, upload, stop, launch under Delve, tunnel, hold)`);
  const run = await startDebugRun({
    ...standinTarget(cluster, node, c),
    component: c,
    workDir: mkdtempSync(path.join(work, `${c}-`)),
    onOutput: (text) => {
      for (const line of text.split('\n')) if (/ \.\.\. (changed|ok|failed)|holding until|^Running/.test(line)) note(`| ${line.trim()}`);
    },
  });
  await run.attached();
  const [debug] = await node.pids(c);
  note(`under Delve now: ${(await node.cmdline(debug!)).slice(0, 2).join(' ')} … (same flags as before: ${JSON.stringify((await node.cmdline(debug!)).slice(1)) === JSON.stringify(flags.slice(1))})`);
  note(`VS Code: ${path.join(run.ideDir, '.vscode/launch.json')}; GoLand: ${path.join(run.ideDir, '.idea/runConfigurations')}`);

  say(`Attach: a Delve client on the controller, through kplay's SSH tunnel at 127.0.0.1:${run.localPort}`);
  const at = await hitBreakpoint(run, node, c);
  note(`breakpoint hit by GET ${node.healthUrl(c)}: stopped in ${at.function} at ${path.relative(run.treeDir, at.file)}:${at.line}`);
  note('breakpoint cleared, the component continued and answered the held request');

  say('Ctrl-C: kplay stops Delve, puts everything back and waits until the original is healthy');
  run.child.kill('SIGINT');
  const r = await run.exited;
  await node.waitHealthy(c, 60_000);
  const [after] = await node.pids(c);
  const dlvLeft = (await node.exec('pgrep -x dlv || true')).stdout.trim();
  note(`kplay exited with ${r.code}; ${c} healthy again (pid ${after}, original flags: ${JSON.stringify((await node.cmdline(after!)).slice(1)) === JSON.stringify(flags.slice(1))})`);
  note(`${manifest} sha256 ${sha(node.hostPath(manifest))}… (${sha(node.hostPath(manifest)) === manifestSha ? 'byte-identical' : 'CHANGED'}); dlv processes left: ${dlvLeft || 'none'}; uploads left: ${existsSync(run.remoteDir) ? 'yes' : 'none'}`);
  if (r.code !== 0 || dlvLeft || sha(node.hostPath(manifest)) !== manifestSha) throw new Error(`the ${c} session did not end cleanly:\n${r.out}`);
}

async function main(): Promise<void> {
  prerequisites();
  say('Starting a stand-in control-plane node (sshd in its own mount and PID namespaces)');
  const cluster = await startStandinCluster({ nodes: 1 });
  const work = mkdtempSync(path.join(tmpdir(), 'kplay-demo-'));
  try {
    const node = cluster.nodes[0]!;
    note(`${node.name} on ${node.address}: kube-apiserver, kube-scheduler, kube-controller-manager (static pods), kube-proxy (DaemonSet), kubelet (systemd), all healthy`);
    for (const c of ['kube-apiserver', 'kubelet'] as const) await session(node, c, work, cluster);
    console.log(`\n${bold('Done:')} both sessions ended with the node as it was.`);
  } finally {
    await cluster.close();
  }
}

(process.argv.includes('--real') ? import('./demo-real.js').then((m) => m.realDemo()) : main()).catch((e: unknown) => {
  console.error(`demo failed: ${(e as Error).message}`);
  process.exit(1);
});
