// Where the debug sessions find their tools on a node, and what a host-run kube-proxy needs, run for
// real on the controller without root: find-tool.sh and proxy-tools.sh with stand-in tools in PATHs of
// their own (recording nothing, answering as the real ones do), and a real process as the kube-proxy
// whose command line and config file are read through /proc.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { REPO_ROOT } from '../helpers/files.js';
import { tempDir } from '../helpers/local-run.js';

const FIND = path.join(REPO_ROOT, 'playbooks/lib/find-tool.sh');
const PROXY = path.join(REPO_ROOT, 'playbooks/lib/proxy-tools.sh');
/** The basic tools the scripts use, without /usr/sbin and /sbin, where the machine's own iptables, nft, ipset live. */
const BASE_PATH = '/usr/bin:/bin';

function tool(dir: string, name: string, body: string): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, name), `#!/bin/sh\n${body}\n`);
  chmodSync(path.join(dir, name), 0o755);
  return path.join(dir, name);
}

function run(script: string, args: string[], env: NodeJS.ProcessEnv): { code: number | null; out: string; err: string } {
  const r = spawnSync('sh', [script, ...args], { encoding: 'utf8', env });
  return { code: r.status, out: r.stdout.trim(), err: r.stderr.trim() };
}

describe('find-tool.sh', () => {
  const dir = tempDir('kplay-find-tool-');
  const home = path.join(dir, 'home');

  test('a name on PATH is found there', () => {
    const dlv = tool(path.join(dir, 'path'), 'dlv', 'true');
    const r = run(FIND, ['dlv', 'dlv', 'dlv_bin'], { PATH: `${path.dirname(dlv)}:${BASE_PATH}`, HOME: home });
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, dlv);
  });

  test("a name outside PATH is found in the user's ~/go/bin, where go install puts dlv", () => {
    // Named so that no machine has it on PATH (this one has /usr/bin/dlv).
    const dlv = tool(path.join(home, 'go/bin'), 'dlv-kplay-test', 'true');
    const r = run(FIND, ['dlv', 'dlv-kplay-test', 'dlv_bin'], { PATH: BASE_PATH, HOME: home });
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, dlv);
  });

  test('not found: the error lists every place looked in, the login user\'s go/bin too, and the variable to set', () => {
    const r = run(FIND, ['crictl', 'crictl-kplay-test', 'crictl_bin'], { PATH: BASE_PATH, HOME: '/nonexistent-home', SUDO_USER: 'nobody' });
    assert.equal(r.code, 1);
    assert.equal(r.out, '');
    const login = spawnSync('sh', ['-c', 'getent passwd nobody | cut -d: -f6'], { encoding: 'utf8' }).stdout.trim();
    assert.equal(
      r.err,
      `crictl (crictl-kplay-test) is not on this node: looked in PATH (${BASE_PATH}), /usr/local/bin, /opt/bin, ${login}/go/bin, /nonexistent-home/go/bin, /root/go/bin, /snap/bin; install it, or set crictl_bin to its path`,
    );
  });

  test('a path is taken as it is when executable, and refused naming the variable when not', () => {
    const kubectl = tool(path.join(dir, 'opt'), 'kubectl', 'true');
    assert.equal(run(FIND, ['kubectl', kubectl, 'kubectl_bin'], { PATH: BASE_PATH }).out, kubectl);
    chmodSync(kubectl, 0o644);
    const r = run(FIND, ['kubectl', kubectl, 'kubectl_bin'], { PATH: BASE_PATH });
    assert.equal(r.code, 1);
    assert.equal(r.err, `kubectl: ${kubectl} (set by kubectl_bin) is not an executable file on this node: install kubectl there, or set kubectl_bin to where it is`);
  });
});

describe('proxy-tools.sh', () => {
  const procs: ChildProcess[] = [];
  after(() => procs.forEach((p) => p.kill()));

  /** A process whose command line is kube-proxy's flags (its /proc/PID/root is /, as for a host process). */
  function kubeProxy(flags: string[]): number {
    const p = spawn('sh', ['-c', 'sleep 30; true', 'kube-proxy', ...flags], { stdio: 'ignore' });
    procs.push(p);
    return p.pid!;
  }

  /** A node's tools: iptables with a backend, the KUBE- chains each backend's save shows, and others by name. */
  function node(o: { backend?: 'nf_tables' | 'legacy'; chains?: { legacy?: number; nft?: number }; others?: string[] }): string {
    const bin = path.join(tempDir('kplay-proxy-tools-'), 'bin');
    if (o.backend) tool(bin, 'iptables', `echo "iptables v1.8.9 (${o.backend})"`);
    for (const b of ['legacy', 'nft'] as const) {
      const n = o.chains?.[b] ?? 0;
      tool(bin, `iptables-${b}-save`, `echo '*nat'; i=0; while [ $i -lt ${n} ]; do echo ":KUBE-SVC-$i - [0:0]"; i=$((i+1)); done; echo COMMIT`);
    }
    for (const t of o.others ?? []) tool(bin, t, 'true');
    return `${bin}:${BASE_PATH}`;
  }

  function config(mode: string): string {
    const f = path.join(tempDir('kplay-proxy-config-'), 'config.conf');
    writeFileSync(f, `apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\nhealthzBindAddress: 0.0.0.0:10256\nmode: ${mode}\n`);
    return f;
  }

  test("iptables mode with the backend the running kube-proxy's KUBE- chains are in passes, saying so", async () => {
    const pid = kubeProxy([`--config=${config('iptables')}`, '--hostname-override=cp1']);
    await new Promise((r) => setTimeout(r, 100));
    const r = run(PROXY, [String(pid)], { PATH: node({ backend: 'nf_tables', chains: { nft: 12, legacy: 0 } }) });
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^kube-proxy mode: iptables \(its config file .*config\.conf\); found: \/.*\/iptables$/m);
    assert.match(r.out, /^iptables: iptables v1\.8\.9 \(nf_tables\), the backend the running kube-proxy's KUBE- chains are in$/m);
  });

  test('a host iptables on the other backend is refused, saying where the rules are and how to switch', () => {
    const pid = kubeProxy([`--config=${config('"iptables"')}`]);
    const r = run(PROXY, [String(pid)], { PATH: node({ backend: 'legacy', chains: { nft: 12, legacy: 0 } }) });
    assert.equal(r.code, 1);
    assert.match(r.err, /the running kube-proxy's rules are in the iptables nft backend \(0 KUBE- chains in iptables-legacy-save, 12 in iptables-nft-save\), but this node's iptables is "iptables v1\.8\.9 \(legacy\)"/);
    assert.match(r.err, /update-alternatives --set iptables \/usr\/sbin\/iptables-nft/);
  });

  test('ipvs mode needs ipset and ipvsadm as well; the default mode (config says "") is iptables', () => {
    const ipvs = kubeProxy([`--config=${config('ipvs')}`]);
    const r = run(PROXY, [String(ipvs)], { PATH: node({ backend: 'nf_tables', others: ['ipvsadm'] }) });
    assert.equal(r.code, 1);
    assert.match(r.err, /^kube-proxy runs in ipvs mode \(its config file .*\), which needs ipset on the node: its pod brings its own, but the debug build runs on the host; install them first$/);
    const ok = run(PROXY, [String(ipvs)], { PATH: node({ backend: 'nf_tables', others: ['ipvsadm', 'ipset'] }) });
    assert.equal(ok.code, 0, ok.err);
    assert.match(ok.out, /not compared/, 'no KUBE- chains in either backend: nothing to compare');
    const empty = run(PROXY, [String(kubeProxy([`--config=${config('""')}`]))], { PATH: node({}) });
    assert.equal(empty.code, 1);
    assert.match(empty.err, /runs in iptables mode \(kube-proxy's default\), which needs iptables on the node/);
  });

  test('nftables mode needs nft and no iptables; without --config the --proxy-mode flag says the mode; an unknown mode is refused', () => {
    const nft = run(PROXY, [String(kubeProxy([`--config=${config('nftables')}`]))], { PATH: node({ others: ['nft'] }) });
    assert.equal(nft.code, 0, nft.err);
    assert.match(nft.out, /^kube-proxy mode: nftables .*found: \/.*\/nft$/);
    const flag = run(PROXY, [String(kubeProxy(['--proxy-mode', 'ipvs']))], { PATH: node({ backend: 'legacy', chains: { legacy: 3 }, others: ['ipset', 'ipvsadm'] }) });
    assert.equal(flag.code, 0, flag.err);
    assert.match(flag.out, /mode: ipvs \(its --proxy-mode flag\)/);
    const odd = run(PROXY, [String(kubeProxy([`--config=${config('ebpf')}`]))], { PATH: node({}) });
    assert.equal(odd.code, 1);
    assert.match(odd.err, /kube-proxy's mode "ebpf" \(its config file .*\) is not one kplay knows the tools of/);
  });

  test('a process that is gone is refused', () => {
    const r = run(PROXY, ['999999999'], { PATH: BASE_PATH });
    assert.equal(r.code, 1);
    assert.match(r.err, /cannot read kube-proxy's command line \(pid 999999999\)/);
  });
});
