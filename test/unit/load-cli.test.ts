// The two forms of the built CLI (bin/load-cli.cjs, scripts/bundle.mjs): the script with V8's
// recorded code, for commands that read playbooks, and the ES module chunks, for the rest. Both
// must say the same thing, V8 must take the recorded code, and kplay must work without it.
// Needs the build (npm test builds first).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { inFolder, REPO_ROOT } from '../helpers/files.js';

interface Cli {
  main(argv: string[], io: { out(s: string): void; err(s: string): void; isTTY: boolean }): Promise<number>;
}
const loader = createRequire(import.meta.url)(path.join(REPO_ROOT, 'bin/load-cli.cjs')) as {
  cacheNameFor(argv: string[]): string | undefined;
  loadCli(name: string): Cli & { cacheUsed: boolean };
};

async function run(cli: Cli, argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await cli.main(argv, { out: (s) => (out += s), err: (s) => (err += s), isTTY: false });
  return { code, out, err };
}

test('each command line starts with its group of recorded code, or with the ES modules', () => {
  assert.equal(loader.cacheNameFor(['validate', 'a.yaml']), 'validate');
  assert.equal(loader.cacheNameFor(['plan', 'a.yaml', '-i', 'inv.yaml']), 'plan');
  assert.equal(loader.cacheNameFor(['run', '--dry-run', 'a.yaml']), 'plan');
  assert.equal(loader.cacheNameFor(['--no-color', 'list']), 'list');
  assert.equal(loader.cacheNameFor(['inventory', 'show', '-i', 'x']), 'list');
  for (const argv of [['--help'], ['help', 'run'], ['runs'], ['rollback', 'x'], ['schemas'], []]) assert.equal(loader.cacheNameFor(argv), undefined, argv.join(' '));
});

test('the build records code for every group, and V8 takes it in a new process', () => {
  for (const name of ['validate', 'plan', 'list']) {
    assert.ok(existsSync(path.join(REPO_ROOT, `dist/cached/kplay.cjs.${name}.cache`)), name);
    const r = spawnSync(process.execPath, ['-e', `console.log(require(${JSON.stringify(path.join(REPO_ROOT, 'bin/load-cli.cjs'))}).loadCli(${JSON.stringify(name)}).cacheUsed)`], { encoding: 'utf8' });
    assert.equal(r.stdout.trim(), 'true', `${name}: ${r.stderr}`);
  }
});

test('the script and the ES modules give the same output, and the script works without recorded code', async () => {
  const esm = (await import(pathToFileURL(path.join(REPO_ROOT, 'dist/bundle/main.js')).href)) as Cli;
  const uncached = loader.loadCli('none-such');
  assert.equal(uncached.cacheUsed, false);
  const script = loader.loadCli('validate');
  const cmds = [
    ['validate', 'playbooks', 'inventory.example.yaml'],
    ['plan', 'playbooks/debug-apiserver.yaml', '-i', 'inventory.example.yaml', '-o', 'json'],
    ['validate', 'no-such-file.yaml'],
    ['list', '-o', 'json'],
  ];
  await inFolder(REPO_ROOT, async () => {
    for (const argv of cmds) {
      const a = await run(esm, argv);
      assert.ok(a.out.length + a.err.length > 0, argv.join(' '));
      assert.deepEqual(await run(script, argv), a, argv.join(' '));
      assert.deepEqual(await run(uncached, argv), a, argv.join(' '));
    }
  });
});
