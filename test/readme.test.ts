import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { README, updatedReadme } from '../scripts/readme-playbooks.js';

test('the README documents every shipped playbook variable as the playbooks define it (npm run gen:readme)', () => {
  const text = readFileSync(README, 'utf8');
  assert.equal(text, updatedReadme(text), 'README.md is out of date: run npm run gen:readme');
  for (const v of ['source_dir', 'dlv_port', 'leader_elect', 'proxy_daemonset', 'build_host', 'ide_dir']) assert.match(text, new RegExp(`\\| \`${v}\` \\|`));
});
