// Bundles the CLI into dist/bundle/ with esbuild. Loading one file instead of some 200 modules
// (yaml, handlebars, ajv runtime, commander) takes ~100 ms off every `kplay` start; `tsc` still
// builds dist/ for the library API and type declarations. Heavy parts stay in lazily loaded
// chunks, so `kplay --version` does not pay for them.
import { rmSync } from 'node:fs';
import { build } from 'esbuild';

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
  logLevel: 'warning',
});
