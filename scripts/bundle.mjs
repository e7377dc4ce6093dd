// Bundles the CLI into dist/bundle/ with esbuild. Loading one file instead of some 200 modules
// (yaml, handlebars, ajv runtime, commander) takes ~100 ms off every `kplay` start; `tsc` still
// builds dist/ for the library API and type declarations. Heavy parts stay in lazily loaded
// chunks, so `kplay --version` does not pay for them.
import { rmSync } from 'node:fs';
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

// Chunk names carry content hashes: clear out the previous build's.
rmSync('dist/bundle', { recursive: true, force: true });

await build({
  entryPoints: { main: 'src/cli/main.ts' },
  outdir: 'dist/bundle',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  chunkNames: 'chunk-[hash]',
  sourcemap: true,
  // Bundled CommonJS packages (handlebars, ajv's runtime) call require() for Node's own modules.
  banner: { js: "import { createRequire as __kplayCreateRequire } from 'node:module'; const require = __kplayCreateRequire(import.meta.url);" },
  // ssh2 loads optional native add-ons at run time; it stays a normal dependency.
  external: ['node-ssh', 'ssh2', 'cpu-features'],
  plugins: [withoutSourceMap],
  logLevel: 'warning',
});
