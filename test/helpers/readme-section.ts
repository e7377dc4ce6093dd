import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from './files.js';

/** The first YAML block of the README's "Debug another component" section: the playbook a user copies. */
export function readmeEtcdPlaybook(): string {
  const readme = readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
  const at = readme.indexOf('\n## Debug another component\n');
  assert.ok(at > 0, 'the README has a "Debug another component" section');
  const block = /```yaml\n([\s\S]*?)```/.exec(readme.slice(at));
  assert.ok(block, 'with a playbook in it');
  return block[1]!;
}
