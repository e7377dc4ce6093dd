// Records V8's compiled code for the CLI bundle (see bin/load-cli.cjs): runs, in this process, the
// commands of one group on the shipped files, then writes the code for everything they compiled.
// `node scripts/code-cache.mjs [NAME]`: one group, or without a name every group (what
// scripts/bundle.mjs runs after each build, with the Node that will run kplay). The commands'
// output is thrown away and their exit codes do not matter.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import loader from '../bin/load-cli.cjs';

const { loadCli } = loader;

const WARM_UPS = {
  validate: [['validate', 'playbooks', 'inventory.example.yaml']],
  // `kplay run` plans first, as a dry run does; what it then runs over SSH compiles as it goes.
  plan: [
    ['plan', 'playbooks/debug-apiserver.yaml', '-i', 'inventory.example.yaml'],
    ['plan', 'playbooks/debug-kubelet.yaml', '-i', 'inventory.example.yaml', '-o', 'json'],
  ],
  list: [['list'], ['inventory', 'show', '-i', 'inventory.example.yaml']],
};

const name = process.argv[2];
if (name === undefined) {
  // Every group, each in a process of its own: a cache holds all that its process compiled.
  // Failing here costs speed, never correctness: say so and go on.
  for (const group of Object.keys(WARM_UPS)) {
    const warm = spawnSync(process.execPath, [fileURLToPath(import.meta.url), group], { encoding: 'utf8' });
    if (warm.status !== 0) console.warn(`kplay bundle: no code cache for ${group} was written, so kplay starts slower: ${warm.stderr || `exit ${warm.status}`}`);
  }
} else {
  if (!(name in WARM_UPS)) throw new Error(`usage: node scripts/code-cache.mjs [${Object.keys(WARM_UPS).join('|')}]`);
  const { main, saveCodeCache } = loadCli(name);
  const quiet = { out() {}, err() {}, isTTY: false };
  for (const argv of WARM_UPS[name]) await main(argv, quiet);
  saveCodeCache();
}
