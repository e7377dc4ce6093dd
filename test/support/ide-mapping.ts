/**
 * What an IDE does with the `substitutePath` rules kplay writes into .vscode/launch.json, and the
 * stand-in trees in each build layout, for tests that set breakpoints the way an IDE would.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from '../helpers/files.js';

/** One rule of launch.json's substitutePath: a local (editor) prefix and the binary's prefix. */
export interface SubstituteRule {
  from: string;
  to: string;
}

/** The rules of the first configuration of a launch.json, with ${workspaceFolder} expanded as VS Code does. */
export function launchRules(launchJson: string, workspaceFolder: string): SubstituteRule[] {
  const launch = JSON.parse(readFileSync(launchJson, 'utf8')) as { configurations: { substitutePath: SubstituteRule[] }[] };
  const expand = (s: string) => s.replaceAll('${workspaceFolder}', workspaceFolder);
  return launch.configurations[0]!.substitutePath.map((r) => ({ from: expand(r.from), to: expand(r.to) }));
}

/**
 * The Go extension's legacy adapter (src/debugAdapter/goDebug.ts, toDebuggerPath): the first rule
 * whose `from` the path starts with, as a plain string prefix, replaces it with `to`.
 */
export function toDebuggerPathLegacy(rules: SubstituteRule[], localPath: string): string {
  const r = rules.find((x) => localPath.startsWith(x.from));
  return r ? localPath.replace(r.from, r.to) : localPath;
}

/**
 * Delve's DAP server (pkg/locspec SubstitutePath), used with "debugAdapter": "dlv-dap": the first
 * rule whose `from` prefixes the path on a path-separator boundary.
 */
export function toDebuggerPathDap(rules: SubstituteRule[], localPath: string): string {
  for (const { from, to } of rules) {
    if (localPath === from) return to;
    if (!localPath.startsWith(from)) continue;
    const rest = localPath.slice(from.length);
    if (!from.endsWith('/') && !rest.startsWith('/')) continue;
    if (to === '') return rest.replace(/^\//, '');
    return to.endsWith('/') || rest.startsWith('/') ? to + rest : `${to}/${rest}`;
  }
  return localPath;
}

/** The other direction (a file Delve names, back to the editor's): the same rules with from and to swapped. */
export function toLocalPath(rules: SubstituteRule[], debuggerPath: string): string {
  return toDebuggerPathDap(
    rules.map((r) => ({ from: r.to, to: r.from })),
    debuggerPath,
  );
}

/** Build layouts of the stand-in tree: how a Kubernetes release's hack/lib/golang.sh builds. */
export const LAYOUTS = {
  /** v1.20 to v1.23: GOPATH link under _output, -trimpath=KUBE_ROOT, staging from vendor/: relative names. */
  'v1.20': 'standin/layouts/v1.20',
  /** v1.24 to v1.29 with DBG=1: GOPATH link under _output, no -trimpath, staging from vendor/: absolute names. */
  'v1.29': 'standin/layouts/v1.29',
  /** v1.30 and later: Go workspaces, built in the tree itself. */
  'v1.30': undefined,
} as const;

export type Layout = keyof typeof LAYOUTS;

/**
 * A fresh copy of the stand-in Kubernetes tree (without _output) as a release of `layout` has it:
 * the layout's hack/lib/golang.sh and vendor/ over the tree, and no go.work before v1.30.
 */
export function standinTree(layout: Layout): string {
  const dir = path.join(mkdtempSync(path.join(tmpdir(), `kplay-tree-${layout}-`)), 'kubernetes');
  cpSync(path.join(REPO_ROOT, 'standin/kubernetes'), dir, { recursive: true, filter: (src) => path.basename(src) !== '_output' });
  const overlay = LAYOUTS[layout];
  if (overlay) {
    rmSync(path.join(dir, 'go.work'));
    cpSync(path.join(REPO_ROOT, overlay), dir, { recursive: true, verbatimSymlinks: true });
  }
  return dir;
}

/** The line of `file` (relative to `tree`) that carries `marker`, 1-based. */
export function markedLine(tree: string, file: string, marker: string): number {
  const line = readFileSync(path.join(tree, file), 'utf8').split('\n').findIndex((l) => l.includes(marker)) + 1;
  if (line === 0) throw new Error(`no "${marker}" in ${path.join(tree, file)}`);
  return line;
}
