// Loose ends found in use, each checked over SSH against the lab's real sshd (test/support/sshd-lab.ts).
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runPlaybook } from '../helpers/run.js';
import { sshLabUnavailable, startSshLab } from '../support/sshd-lab.js';
import type { SshLab } from '../support/sshd-lab.js';

const skip = sshLabUnavailable();

describe('loose ends, over SSH', { skip }, () => {
  let lab: SshLab;
  let dir: string;
  before(async () => {
    lab = await startSshLab({ hosts: 2 });
    dir = mkdtempSync(path.join(tmpdir(), 'kplay-loose-'));
  });
  after(async () => lab?.close());

  test('fetch of a /proc file (size 0 yet with content) saves all of it, with and without sudo', async () => {
    const r = await runPlaybook(
      dir,
      lab.inventory({ hosts: ['h1'], user: lab.users.sudoer }),
      `name: f
hosts: all
tasks:
  - name: cpuinfo
    fetch: {src: /proc/cpuinfo, dest: "${dir}/cpuinfo"}
  - name: meminfo
    become: true
    fetch: {src: /proc/meminfo, dest: "${dir}/meminfo"}
`,
    );
    assert.equal(r.summary.exitCode, 0);
    assert.match(readFileSync(path.join(dir, 'cpuinfo'), 'utf8'), /^processor\s*:/m);
    assert.match(readFileSync(path.join(dir, 'meminfo'), 'utf8'), /^MemTotal:/m);
  });
});
