// Breakpoints bind in the IDE for every layout a Kubernetes tree builds in. The shipped playbook
// steps (build.yaml, ide-paths.yaml, ide.yaml) run through the real CLI against a stand-in tree
// in each layout and write .vscode/launch.json; then, as the Go extension would, each checkout
// path is translated through the written substitutePath rules and set as a breakpoint in real
// Delve running the debug build. It must bind; before v1.30 the untranslated checkout path must
// not ("could not find file"), which is what made breakpoints fail before these rules.
//
// Another tree and binary run the same checks with:
//   KPLAY_IDE_TREE=/path/to/kubernetes            the checkout (its .vscode/.idea are put back)
//   KPLAY_IDE_BINARY=/path/to/debug/kube-apiserver optional: a debug build of it; empty builds one
//   KPLAY_IDE_COMPONENT=kube-apiserver             the component (default kube-apiserver)
//   KPLAY_IDE_BREAKPOINTS=cmd/kube-apiserver/apiserver.go:33,staging/src/k8s.io/apiserver/pkg/server/healthz/healthz.go:203
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { kplay } from '../helpers/cli.js';
import { REPO_ROOT } from '../helpers/files.js';
import { freePort } from '../helpers/net.js';
import { DelveClient } from '../support/delve-client.js';
import { launchRules, markedLine, standinTree, toDebuggerPathDap, toDebuggerPathLegacy, toLocalPath } from '../support/ide-mapping.js';
import type { Layout } from '../support/ide-mapping.js';
import { sshLabUnavailable, startSshLab } from '../support/sshd-lab.js';
import type { SshLab } from '../support/sshd-lab.js';

const has = (bin: string) => spawnSync('sh', ['-c', `command -v ${bin}`]).status === 0;
const unavailable = sshLabUnavailable() ?? (has('go') && has('dlv') && has('make') ? undefined : 'needs go, make and delve (scripts/install-test-deps.sh)');

/** A tree to check: where it is, what to build or take, and which checkout lines to break on. */
interface Case {
  name: string;
  layout?: Layout;
  tree: () => string | Promise<string>;
  binary?: string;
  component: string;
  /** Checkout-relative files and lines; resolved once the tree exists. */
  breakpoints: (tree: string) => { file: string; line: number }[];
}

const STANDIN_BREAKPOINTS = (tree: string) => [
  { file: 'pkg/standin/healthz.go', line: markedLine(tree, 'pkg/standin/healthz.go', 'kplay-e2e: breakpoint') },
  {
    file: 'staging/src/k8s.io/apiserver/pkg/server/healthz/healthz.go',
    line: markedLine(tree, 'staging/src/k8s.io/apiserver/pkg/server/healthz/healthz.go', 'kplay-e2e: staging breakpoint'),
  },
];

const STANDIN: [Layout, string][] = [
  ['v1.20', 'v1.20-style tree (GOPATH build, relative file names, staging from vendor/), goflags build'],
  ['v1.29', 'v1.29-style tree (GOPATH build, absolute file names, staging from vendor/), DBG=1 build'],
  ['v1.30', 'v1.30-style tree (workspace build in the tree itself), DBG=1 build'],
];
const CASES: Case[] = STANDIN.map(([layout, name]) => ({ name, layout, tree: () => standinTree(layout), component: 'kube-apiserver', breakpoints: STANDIN_BREAKPOINTS }));

// The real v1.20.2 tree (Debian's source) is checked where its sessions run for real:
// test/integration/real-debug-playbooks.test.ts takes the launch.json each debug playbook writes,
// translates checkout files of cmd/, pkg/ and staging/ through it, sets them in the running debug
// build (the untranslated path must not bind) and has them hit by real requests.

if (process.env.KPLAY_IDE_TREE) {
  const tree = path.resolve(process.env.KPLAY_IDE_TREE);
  CASES.push({
    name: `${tree} (KPLAY_IDE_TREE)`,
    tree: () => tree,
    binary: process.env.KPLAY_IDE_BINARY || undefined,
    component: process.env.KPLAY_IDE_COMPONENT || 'kube-apiserver',
    breakpoints: () =>
      (process.env.KPLAY_IDE_BREAKPOINTS ?? '').split(',').filter(Boolean).map((b) => {
        const m = /^(.+):(\d+)$/.exec(b.trim());
        if (!m) throw new Error(`KPLAY_IDE_BREAKPOINTS: "${b}" is not FILE:LINE (a checkout-relative file)`);
        return { file: m[1]!, line: Number(m[2]) };
      }),
  });
}

const PLAYBOOK = `name: IDE settings of a debug session
hosts: all
vars_files: [lib/build-vars.yaml, lib/debug-vars.yaml]
tasks:
  - name: The node's architecture
    include: lib/node-platform.yaml
  - name: Debug build
    include: lib/build.yaml
  - name: IDE path mapping
    include: lib/ide-paths.yaml
  - name: IDE settings
    include: lib/ide.yaml
`;

/** Puts a checkout's own .vscode and .idea back as they were once the test is done with it. */
function keepIdeFolders(tree: string): () => void {
  const saved = mkdtempSync(path.join(tmpdir(), 'kplay-ide-saved-'));
  const had = ['.vscode', '.idea'].filter((d) => existsSync(path.join(tree, d)));
  for (const d of had) cpSync(path.join(tree, d), path.join(saved, d), { recursive: true });
  return () => {
    for (const d of ['.vscode', '.idea']) rmSync(path.join(tree, d), { recursive: true, force: true });
    for (const d of had) cpSync(path.join(saved, d), path.join(tree, d), { recursive: true });
    rmSync(saved, { recursive: true, force: true });
  };
}

/** Starts Delve on the binary, paused at its entry (breakpoints bind without running it). */
async function startDelve(binary: string): Promise<{ client: DelveClient; stop: () => void }> {
  const port = await freePort();
  const dlv = spawn('dlv', ['exec', binary, '--headless', `--listen=127.0.0.1:${port}`, '--api-version=2', '--accept-multiclient'], { stdio: 'ignore' });
  const t0 = Date.now();
  for (;;) {
    const client = await DelveClient.connect(port).catch(() => undefined);
    if (client) return { client, stop: () => (client.close(), dlv.kill('SIGTERM')) };
    if (dlv.exitCode !== null || Date.now() - t0 > 60_000) {
      dlv.kill('SIGTERM');
      throw new Error(`dlv exec ${binary} did not listen on ${port}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('IDE path mapping: a breakpoint on a checkout file binds in Delve through the written launch.json', { skip: unavailable }, () => {
  let lab: SshLab;
  before(async () => {
    lab = await startSshLab({ hosts: 1 });
  });
  after(async () => lab?.close());

  for (const c of CASES) {
    test(c.name, { timeout: 1_800_000 }, async () => {
      const tree = await c.tree();
      const restoreIde = keepIdeFolders(tree);
      const work = mkdtempSync(path.join(tmpdir(), 'kplay-ide-'));
      symlinkSync(path.join(REPO_ROOT, 'playbooks/lib'), path.join(work, 'lib'));
      writeFileSync(path.join(work, 'ide.yaml'), PLAYBOOK);
      try {
        const args = ['run', 'ide.yaml', '-i', lab.inventory(), '-e', `source_dir=${tree}`, '-e', `component=${c.component}`, '-e', `local_port=${await freePort()}`, ...(c.binary ? ['-e', `binary=${c.binary}`] : [])];
        const opts = { cwd: work, env: { SSH_AUTH_SOCK: '', KPLAY_STATE_DIR: path.join(work, 'state') }, timeoutMs: 1_500_000 };
        const r = kplay(args, opts);
        assert.equal(r.code, 0, r.out + r.err);
        const rules = launchRules(path.join(tree, '.vscode/launch.json'), tree);
        const binary = c.binary ?? path.join(tree, '_output/local/bin/linux/amd64', c.component);
        const bps = c.breakpoints(tree);
        assert.ok(bps.length > 0, 'breakpoints to set (KPLAY_IDE_BREAKPOINTS)');
        const { client, stop } = await startDelve(binary);
        try {
          for (const bp of bps) {
            const local = path.join(tree, bp.file);
            assert.ok(existsSync(local), `${local} is in the checkout`);
            const remote = toDebuggerPathLegacy(rules, local);
            assert.equal(toDebuggerPathDap(rules, local), remote, 'the legacy adapter and dlv-dap translate alike');
            const set = (await client.call('CreateBreakpoint', { Breakpoint: { file: remote, line: bp.line } })).Breakpoint as { id: number; file: string; addr: number };
            assert.ok(set.addr > 0, `${bp.file}:${bp.line} bound at an address`);
            assert.equal(toLocalPath(rules, set.file), local, 'the file Delve reports maps back to the checkout');
            await client.call('ClearBreakpoint', { Id: set.id });
            if (c.layout === 'v1.30') assert.equal(remote, local, 'a v1.30 build knows the checkout paths themselves');
            // The control: without the mapping the IDE's own path does not bind on older layouts.
            if (remote !== local) await assert.rejects(client.call('CreateBreakpoint', { Breakpoint: { file: local, line: bp.line } }), /could not find file/);
          }
          if (c.layout && c.layout !== 'v1.30') assert.ok(rules.some((x) => x.from.endsWith('/staging/src/k8s.io/apiserver')), `a rule for the staging repository: ${JSON.stringify(rules)}`);
        } finally {
          stop();
        }
      } finally {
        restoreIde();
        rmSync(work, { recursive: true, force: true });
        if (c.layout) rmSync(path.dirname(tree), { recursive: true, force: true });
      }
    });
  }
});
