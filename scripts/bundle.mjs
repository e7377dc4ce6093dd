// Bundles the CLI with esbuild, in two forms; `tsc` still builds dist/ for the library API and type
// declarations. Loading bundles instead of some 200 modules takes ~100 ms off every `kplay` start.
// - dist/bundle/: ES modules split into chunks. Commands that read no playbook (help, runs,
//   rollback, schemas) load only the chunks they use (`kplay --help` reads 135 kB).
// - dist/cached/kplay.cjs: one CommonJS script, and for each group of commands that read playbooks
//   (validate; plan and run; list and inventory) the code V8 compiled for it in a warm-up run of
//   that group (kplay.cjs.NAME.cache, scripts/code-cache.mjs). Those commands load the script with
//   its group's code (bin/load-cli.cjs), and V8 skips parsing and compiling what the warm-up
//   compiled: Node 20 has no compile cache of its own (Node 22 has), and V8's is reachable only
//   through vm.Script, which runs scripts, not modules.
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { build } from 'esbuild';

// Handlebars loads the `source-map` library (some 80 kB) when it loads, in a try, to build source
// maps of compiled templates; kplay never asks for one (no srcName), and without the library
// Handlebars uses its own string builder, which is lighter. Every command that reads a playbook
// used to parse and run that library's code at start-up.
const withoutSourceMap = {
  name: 'without-source-map',
  setup(b) {
    b.onResolve({ filter: /^source-map$/ }, () => ({ path: 'source-map', namespace: 'kplay-stub' }));
    b.onLoad({ filter: /.*/, namespace: 'kplay-stub' }, () => ({
      contents: "throw new Error('source-map is left out of the kplay bundle');",
      loader: 'js',
    }));
  },
};

rmSync('dist/bundle', { recursive: true, force: true });
rmSync('dist/cached', { recursive: true, force: true });

const common = {
  entryPoints: { main: 'src/cli/main.ts' },
  bundle: true,
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  // ssh2 loads optional native add-ons at run time; it stays a normal dependency.
  external: ['node-ssh', 'ssh2', 'cpu-features'],
  plugins: [withoutSourceMap],
  logLevel: 'warning',
};

await build({
  ...common,
  outdir: 'dist/bundle',
  splitting: true,
  format: 'esm',
  chunkNames: 'chunk-[hash]',
  // Bundled CommonJS packages (handlebars, ajv's runtime) call require() for Node's own modules.
  banner: { js: "import { createRequire as __kplayCreateRequire } from 'node:module'; const require = __kplayCreateRequire(import.meta.url);" },
});

await build({
  ...common,
  entryPoints: ['src/cli/main.ts'],
  outfile: 'dist/cached/kplay.cjs',
  format: 'cjs',
  // Fewer bytes to read and for V8 to scan at every start; names are kept for stack traces, and
  // esbuild's default ASCII output lets bin/load-cli.cjs read the file without decoding UTF-8.
  minifyWhitespace: true,
  minifySyntax: true,
  charset: 'ascii',
  // The sources are ES modules; the few that find files beside the package (schemas, package.json,
  // the shipped playbooks) do so from import.meta.url, which a script has not: it is given the
  // script's own URL, two folders below the package as the chunks' are.
  define: { 'import.meta.url': '__kplayBundleUrl' },
  banner: { js: "const __kplayBundleUrl = require('node:url').pathToFileURL(__filename).href;" },
});

const text = readFileSync('dist/cached/kplay.cjs', 'utf8');
// bin/load-cli.cjs reads the bundle as Latin-1, which is right only for ASCII (esbuild escapes
// strings, not regular expressions: write \u escapes in those).
const wide = text.search(/[^\x00-\x7f]/);
if (wide !== -1) throw new Error(`dist/cached/kplay.cjs:${text.slice(0, wide).split('\n').length} holds a character outside ASCII: ${text.slice(wide - 20, wide + 5)}`);
// A script run by vm.Script has no loader for import(): every import must have been bundled or
// turned into require() (external CommonJS packages).
const dynamicImport = text.search(/(?<![\w$.])import\(/);
if (dynamicImport !== -1) throw new Error(`dist/cached/kplay.cjs keeps a dynamic import(), which a vm.Script cannot run: ${text.slice(dynamicImport, dynamicImport + 60)}`);

// V8's code for each group of commands (scripts/code-cache.mjs).
const warm = spawnSync(process.execPath, ['scripts/code-cache.mjs'], { stdio: 'inherit' });
if (warm.status !== 0) console.warn(`kplay bundle: recording V8's code failed (exit ${warm.status}), so kplay starts slower`);
