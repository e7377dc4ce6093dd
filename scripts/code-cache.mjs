// Records V8's compiled code for the CLI bundle (see bin/load-cli.cjs): runs, in this process, the
// commands of one group on the shipped files, then writes the code for everything they compiled.
// `node scripts/code-cache.mjs NAME`, run by scripts/bundle.mjs once per group after each build,
// with the Node that will run kplay. Output is thrown away; exit codes do not matter.
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
if (!(name in WARM_UPS)) throw new Error(`usage: node scripts/code-cache.mjs ${Object.keys(WARM_UPS).join('|')}`);
const { main, saveCodeCache } = loadCli(name);
const quiet = { out() {}, err() {}, isTTY: false };
for (const argv of WARM_UPS[name]) await main(argv, quiet);
saveCodeCache();
