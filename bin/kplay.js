#!/usr/bin/env node
// Entry point. The CLI is bundled into dist/bundle (npm ci builds it through the prepare script);
// load-cli.js says which form of it a command loads.
// `--version` is answered here, before anything else loads, because scripts call it often.
import { readFileSync } from 'node:fs';

const argv = process.argv.slice(2);
if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) {
  process.stdout.write(`${JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version}\n`);
} else {
  const { cliFor } = await import('./load-cli.js');
  process.exitCode = await (await cliFor(argv)).main(argv);
  // Nothing a run leaves open (a socket of a host that never answered, say) may keep kplay alive
  // after it has said how the run ended.
  setTimeout(() => process.exit(), 3000).unref();
}
