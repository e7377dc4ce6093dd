// The build the start-up figures are compared with, side by side in the same run: on a shared,
// noisy machine a figure alone says little, a ratio against the previous release measured in the
// same minutes says whether a change made kplay faster or slower.
//
// KPLAY_BENCH_BASE names it (a git tag, branch or commit); by default the newest tag, else `main`
// when this checkout is not main itself; `none` turns the comparison off. The ref's files are
// exported from git into a temporary folder, share this checkout's node_modules, and only the
// CLI bundle is built there (all `kplay` needs to run).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** A built kplay to time: its bin, the folder it runs in, and what it is called in the table. */
export interface Build {
  label: string;
  root: string;
  bin: string;
}

function git(root: string, args: string[]): string | undefined {
  const r = spawnSync('git', args, { cwd: root, encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

/** The ref to compare with, or undefined (with the reason) when there is none. */
function baseRef(root: string): { ref?: string; why?: string } {
  const asked = process.env.KPLAY_BENCH_BASE;
  if (asked === 'none') return { why: 'KPLAY_BENCH_BASE=none' };
  if (asked) return { ref: asked };
  const tag = git(root, ['describe', '--tags', '--abbrev=0']);
  if (tag) return { ref: tag };
  const main = git(root, ['rev-parse', '--verify', '-q', 'main']);
  if (!main) return { why: 'no tag and no main branch; set KPLAY_BENCH_BASE=REF' };
  if (main === git(root, ['rev-parse', 'HEAD'])) return { why: 'this checkout is main itself and there is no tag; set KPLAY_BENCH_BASE=REF' };
  return { ref: 'main' };
}

/** Exports and builds the base ref; undefined (after saying why) when it cannot. */
export function buildBase(root: string): Build | undefined {
  const { ref, why } = baseRef(root);
  if (!ref) {
    console.log(`(no side-by-side comparison: ${why})`);
    return undefined;
  }
  const commit = git(root, ['rev-parse', '--short', `${ref}^{commit}`]);
  if (!commit) {
    console.log(`(no side-by-side comparison: ${ref} is not a git ref here)`);
    return undefined;
  }
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kplay-bench-base-'));
  const exported = spawnSync('sh', ['-c', `git archive --format=tar ${commit} | tar -x -C "${dir}"`], { cwd: root, encoding: 'utf8' });
  symlinkSync(path.join(root, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  const built = exported.status === 0 && spawnSync(process.execPath, ['scripts/bundle.mjs'], { cwd: dir, encoding: 'utf8' });
  if (!built || built.status !== 0 || !existsSync(path.join(dir, 'dist/bundle/main.js'))) {
    console.log(`(no side-by-side comparison: building ${ref} failed: ${(built && built.stderr) || exported.stderr})`);
    return undefined;
  }
  // The entry point became bin/kplay.cjs; older builds have bin/kplay.js.
  const bin = ['bin/kplay.cjs', 'bin/kplay.js'].map((b) => path.join(dir, b)).find((b) => existsSync(b))!;
  return { label: `${ref} (${commit})`, root: dir, bin };
}

/** The playbooks and task files a build ships: each build validates its own. */
export function shippedFiles(root: string): string[] {
  const top = readdirSync(path.join(root, 'playbooks')).filter((f) => f.endsWith('.yaml')).map((f) => `playbooks/${f}`);
  const lib = readdirSync(path.join(root, 'playbooks/lib')).filter((f) => f.endsWith('.yaml')).map((f) => `playbooks/lib/${f}`);
  return [...top, ...lib];
}
