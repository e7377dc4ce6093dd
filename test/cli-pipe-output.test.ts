// Standard output into a pipe: blocking for the commands that connect to nothing (a 10 MB plan is
// written without going back to Node's event loop for every 64 kB), non-blocking for a run or a
// rollback, whose SSH sessions and Ctrl-C must not wait on a slow reader. Read from the kernel's
// own record of the descriptor (/proc/self/fdinfo/1), on the built CLI (run `npm run build` first).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { REPO_ROOT, writeTree } from './helpers/files.js';

const O_NONBLOCK = 0o4000;
const noProc = existsSync('/proc/self/fdinfo/1') ? false : 'needs /proc/self/fdinfo (Linux)';

/** Runs the CLI's main() with stdout a pipe; what fdinfo says of stdout once the command is done. */
function stdoutAfter(args: string[], cwd: string): { nonBlocking: boolean; code: number; out: string } {
  const script = `
    import { readFileSync } from 'node:fs';
    const { main } = await import(${JSON.stringify(pathToFileURL(path.join(REPO_ROOT, 'dist/cli/main.js')).href)});
    const code = await main(${JSON.stringify(args)});
    const flags = /flags:\\s+(\\d+)/.exec(readFileSync('/proc/self/fdinfo/1', 'utf8'))[1];
    process.stderr.write('\\nFDINFO ' + flags + ' ' + code + '\\n');
  `;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd, encoding: 'utf8', env: { ...process.env, KPLAY_STATE_DIR: path.join(cwd, 'state') }, timeout: 30_000 });
  const m = /FDINFO (\d+) (\d+)/.exec(r.stderr);
  assert.ok(m, r.stderr);
  return { nonBlocking: (parseInt(m[1]!, 8) & O_NONBLOCK) !== 0, code: Number(m[2]), out: r.stdout };
}

const dir = writeTree({
  'inv.yaml': 'hosts:\n  h1: {address: 192.0.2.1}\n',
  'pb.yaml': 'name: P\nhosts: all\ntasks:\n  - name: a\n    command: echo {{host.name}}\n',
});

test('kplay plan -o json and kplay validate write to a blocking pipe', { skip: noProc }, () => {
  const planned = stdoutAfter(['plan', 'pb.yaml', '-i', 'inv.yaml', '-o', 'json'], dir);
  assert.equal(planned.code, 0);
  assert.equal((JSON.parse(planned.out) as { hosts: unknown[] }).hosts.length, 1, 'the whole plan came through');
  assert.equal(planned.nonBlocking, false);
  const validated = stdoutAfter(['validate', 'pb.yaml', 'inv.yaml'], dir);
  assert.equal(validated.code, 0, validated.out);
  assert.equal(validated.nonBlocking, false);
});

test('a run (--check too) and a rollback keep the pipe non-blocking', { skip: noProc }, () => {
  // Each stops before connecting (no such host, no such run): what counts is the command, not how far it got.
  const checked = stdoutAfter(['run', 'pb.yaml', '-i', 'inv.yaml', '--check', '--limit', 'nosuch'], dir);
  assert.equal(checked.code, 4);
  assert.equal(checked.nonBlocking, true);
  const rolledBack = stdoutAfter(['rollback', '20250101T000000-abcdef'], dir);
  assert.equal(rolledBack.code, 4);
  assert.equal(rolledBack.nonBlocking, true);
});
