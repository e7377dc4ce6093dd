// Loads the bundled CLI, dist/cached/kplay.cjs (scripts/bundle.mjs), as a vm.Script given the code
// V8 compiled for it in a warm-up run at build time (scripts/code-cache.mjs): V8 then skips parsing
// and compiling what that run compiled. Node 20 has no compile cache of its own (Node 22 does);
// vm.Script is the way to V8's. A cache V8 refuses (another Node, other V8 flags) or a missing one
// only means compiling as usual.
'use strict';
const { readFileSync, writeFileSync } = require('node:fs');
const { createRequire } = require('node:module');
const path = require('node:path');
const vm = require('node:vm');

const FILE = path.join(__dirname, '../dist/cached/kplay.cjs');

/**
 * Which recorded code a command line starts with, or undefined for a command that reads no
 * playbook (it loads the ES module chunks it needs: a few hundred kB of script and cache cost more
 * to read than they save it). V8 takes in all of a cache before running anything, so each group of
 * commands has its own: `kplay list` does not pay for validate's.
 */
function cacheNameFor(argv) {
  const command = argv.find((a) => !a.startsWith('-'));
  if (command === 'validate') return 'validate';
  if (command === 'plan' || command === 'run') return 'plan';
  if (command === 'list' || command === 'inventory') return 'list';
  return undefined;
}

/** The CLI for this command line: the script with its recorded code, or the ES modules. */
async function cliFor(argv) {
  const name = cacheNameFor(argv);
  return name ? loadCli(name) : import('../dist/bundle/main.js');
}

function cacheFile(name) {
  return `${FILE}.${name}.cache`;
}

/** The CLI's exports, and a function that records V8's code for all the CLI has compiled so far. */
function loadCli(cacheName) {
  let cachedData;
  try {
    cachedData = readFileSync(cacheFile(cacheName));
  } catch {
    // not built (yet): compile as usual
  }
  // The same wrapper Node gives a CommonJS file, which the bundle is. It is ASCII (the build checks).
  const source = `(function (exports, require, module, __filename, __dirname) {${readFileSync(FILE, 'latin1')}\n})`;
  const script = new vm.Script(source, { filename: FILE, cachedData });
  const module = { exports: {} };
  script.runInThisContext()(module.exports, createRequire(FILE), module, FILE, path.dirname(FILE));
  return {
    main: module.exports.main,
    /** True when V8 took the recorded code. */
    cacheUsed: cachedData !== undefined && !script.cachedDataRejected,
    saveCodeCache: () => writeFileSync(cacheFile(cacheName), script.createCachedData()),
  };
}

module.exports = { cacheNameFor, cliFor, loadCli };
