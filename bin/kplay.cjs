#!/usr/bin/env node
'use strict';
// Entry point. The CLI is bundled into dist/ (npm ci builds it through the prepare script);
// load-cli.cjs says which form of it a command loads. This file and load-cli.cjs are CommonJS so
// that commands which load the bundled script never start Node's ES module loader (some 10 ms).
// `--version` is answered here, before anything else loads, because scripts call it often.
const argv = process.argv.slice(2);
if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) {
  process.stdout.write(`${JSON.parse(require('node:fs').readFileSync(require('node:path').join(__dirname, '../package.json'), 'utf8')).version}\n`);
} else {
  require('./load-cli.cjs')
    .cliFor(argv)
    .then((cli) => cli.main(argv))
    .then((code) => {
      process.exitCode = code;
      // Nothing a run leaves open (a socket of a host that never answered, say) may keep kplay
      // alive after it has said how the run ended.
      setTimeout(() => process.exit(), 3000).unref();
    });
}
