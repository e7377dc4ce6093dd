import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { checkHostKey, describeHostKeyFailure, fingerprint, keyType } from '../../src/connection/known-hosts.js';
import type { HostKeyPolicy } from '../../src/connection/known-hosts.js';

const dir = mkdtempSync(path.join(tmpdir(), 'kplay-known-hosts-'));
after(() => rmSync(dir, { recursive: true, force: true }));

interface TestKey {
  pub: string;
  /** "type base64" as it goes into known_hosts. */
  line: string;
  blob: Buffer;
}

function makeKey(name: string, type: string): TestKey {
  const file = path.join(dir, name);
  execFileSync('ssh-keygen', ['-q', '-t', type, '-N', '', '-C', name, '-f', file]);
  const [t, b64] = readFileSync(`${file}.pub`, 'utf8').trim().split(/\s+/);
  return { pub: `${file}.pub`, line: `${t} ${b64}`, blob: Buffer.from(b64!, 'base64') };
}

const ed = makeKey('ed', 'ed25519');
const ed2 = makeKey('ed2', 'ed25519');
const ec = makeKey('ec', 'ecdsa');

let counter = 0;
function knownHosts(content: string): string {
  const file = path.join(dir, `known_hosts_${++counter}`);
  writeFileSync(file, content);
  return file;
}

function check(file: string | string[], host: string, port: number, key: TestKey, policy: HostKeyPolicy = 'strict', aliases?: string[]) {
  return checkHostKey({ host, port, key: key.blob, files: Array.isArray(file) ? file : [file], policy, aliases });
}

test('fingerprint matches ssh-keygen -l and keyType reads the blob', () => {
  for (const [key, type] of [
    [ed, 'ssh-ed25519'],
    [ec, 'ecdsa-sha2-nistp256'],
  ] as const) {
    const out = execFileSync('ssh-keygen', ['-lf', key.pub], { encoding: 'utf8' });
    assert.equal(fingerprint(key.blob), out.split(' ')[1]);
    assert.equal(keyType(key.blob), type);
  }
});

test('a plain entry matches its host, case-insensitively, and nothing else', () => {
  const file = knownHosts(`# comment\n\nweb1 ${ed.line} me@laptop\n`);
  assert.deepEqual(check(file, 'web1', 22, ed), { ok: true, offered: fingerprint(ed.blob) });
  assert.equal(check(file, 'WEB1', 22, ed).ok, true);
  assert.deepEqual(check(file, 'web2', 22, ed), { ok: false, reason: 'unknown', offered: fingerprint(ed.blob) });
});

test('[host]:port entries match only that port; port 22 uses the plain name', () => {
  const file = knownHosts(`[web1]:2222 ${ed.line}\nweb2 ${ed.line}\n`);
  assert.equal(check(file, 'web1', 2222, ed).ok, true);
  assert.equal(check(file, 'web1', 22, ed).reason, 'unknown');
  assert.equal(check(file, 'web1', 2223, ed).reason, 'unknown');
  assert.equal(check(file, 'web2', 22, ed).ok, true);
  assert.equal(check(file, 'web2', 2222, ed).reason, 'unknown');
});

test('entries hashed by ssh-keygen -H match', () => {
  const file = knownHosts(`web1 ${ed.line}\n[10.0.0.7]:2222 ${ec.line}\n`);
  execFileSync('ssh-keygen', ['-H', '-f', file], { stdio: 'ignore' });
  const text = readFileSync(file, 'utf8');
  assert.match(text, /^\|1\|/);
  assert.doesNotMatch(text, /web1|10\.0\.0\.7/);
  assert.equal(check(file, 'web1', 22, ed).ok, true);
  assert.equal(check(file, '10.0.0.7', 2222, ec).ok, true);
  assert.equal(check(file, '10.0.0.7', 22, ec).reason, 'unknown');
  assert.equal(check(file, 'web2', 22, ed).reason, 'unknown');
  const changed = check(file, 'web1', 22, ed2);
  assert.equal(changed.reason, 'mismatch');
  assert.deepEqual(changed.expected, [fingerprint(ed.blob)]);
});

test('wildcards and negated patterns', () => {
  const file = knownHosts(`*.example.com,!bad.example.com ${ed.line}\nweb? ${ec.line}\n[*.test]:2222 ${ed.line}\n`);
  assert.equal(check(file, 'a.example.com', 22, ed).ok, true);
  assert.equal(check(file, 'bad.example.com', 22, ed).reason, 'unknown');
  assert.equal(check(file, 'example.com', 22, ed).reason, 'unknown');
  assert.equal(check(file, 'web1', 22, ec).ok, true);
  assert.equal(check(file, 'web10', 22, ec).reason, 'unknown');
  assert.equal(check(file, 'db.test', 2222, ed).ok, true);
  assert.equal(check(file, 'db.test', 22, ed).reason, 'unknown');
});

test('a negation alone matches nothing', () => {
  const file = knownHosts(`!web1 ${ed.line}\n`);
  assert.equal(check(file, 'web2', 22, ed).reason, 'unknown');
});

test('a changed key is a mismatch showing both fingerprints, in every policy but off', () => {
  const file = knownHosts(`web1 ${ed.line}\n`);
  const before = readFileSync(file, 'utf8');
  for (const policy of ['strict', 'accept-new'] as const) {
    const c = check(file, 'web1', 22, ed2, policy);
    assert.equal(c.ok, false);
    assert.equal(c.reason, 'mismatch');
    assert.deepEqual(c.expected, [fingerprint(ed.blob)]);
    assert.equal(c.offered, fingerprint(ed2.blob));
    assert.deepEqual(c.offending, [{ file, line: 1, name: 'web1' }]);
    assert.equal(c.recorded, undefined);
  }
  assert.equal(readFileSync(file, 'utf8'), before);
  assert.equal(check(file, 'web1', 22, ed2, 'off').ok, true);

  const d = describeHostKeyFailure('web1', 22, check(file, 'web1', 22, ed2), file);
  assert.ok(d.message.includes(fingerprint(ed.blob)), d.message);
  assert.ok(d.message.includes(fingerprint(ed2.blob)), d.message);
  assert.match(d.message, /intercepting/);
  assert.ok(d.hint.includes(`ssh-keygen -R web1 -f ${file}`), d.hint);
  assert.match(d.hint, /accept-new/);
});

test('the hint for a changed key on another port quotes [host]:port', () => {
  const file = knownHosts(`[web1]:2222 ${ed.line}\n`);
  const d = describeHostKeyFailure('web1', 2222, check(file, 'web1', 2222, ed2), file);
  assert.ok(d.hint.includes(`ssh-keygen -R '[web1]:2222' -f ${file}`), d.hint);
});

test('a key of a type not on file is a mismatch listing every key on file', () => {
  const file = knownHosts(`web1 ${ed.line}\nweb1 ${ec.line}\n`);
  assert.equal(check(file, 'web1', 22, ec).ok, true, 'any of several types is accepted');
  assert.equal(check(file, 'web1', 22, ed).ok, true);
  const onlyEd = knownHosts(`web1 ${ed.line}\n`);
  const c = check(onlyEd, 'web1', 22, ec, 'accept-new');
  assert.equal(c.reason, 'mismatch');
  assert.deepEqual(c.expected, [fingerprint(ed.blob)]);
  const both = knownHosts(`web1 ${ed.line}\nweb1 ${ec.line}\n`);
  assert.deepEqual(check(both, 'web1', 22, ed2).expected, [fingerprint(ed.blob)], 'only keys of the offered type');
});

test('@revoked wins over any entry, in any file', () => {
  const file = knownHosts(`web1 ${ed.line}\n@revoked * ${ed.line}\n`);
  for (const policy of ['strict', 'accept-new'] as const) {
    assert.deepEqual(check(file, 'web1', 22, ed, policy), { ok: false, reason: 'revoked', offered: fingerprint(ed.blob) });
  }
  assert.equal(check(file, 'other', 22, ed, 'accept-new').reason, 'revoked');
  assert.equal(readFileSync(file, 'utf8').split('\n').length, 3, 'nothing recorded');
  const plain = knownHosts(`web1 ${ed.line}\n`);
  const revoking = knownHosts(`@revoked web1 ${ed.line}\n`);
  assert.equal(check([plain, revoking], 'web1', 22, ed).reason, 'revoked');
  assert.equal(check([plain, revoking], 'web1', 22, ed, 'off').ok, true);
  const d = describeHostKeyFailure('web1', 22, check(file, 'web1', 22, ed), file);
  assert.match(d.message, /revoked/);
});

test('@cert-authority, unknown markers and malformed lines are ignored', () => {
  const file = knownHosts(
    [
      `@cert-authority web1 ${ed.line}`,
      `@trusted web1 ${ed.line}`,
      'web1 ssh-ed25519',
      'web1 ssh-ed25519 not*base64',
      `web1 ssh-rsa ${ed.line.split(' ')[1]}`,
      'web1 1024 35 12345',
      'garbage',
      '   # indented comment',
    ].join('\n'),
  );
  assert.equal(check(file, 'web1', 22, ed).reason, 'unknown');
});

test('accept-new records an unknown host once, creating the file and its folder privately', () => {
  const file = path.join(dir, 'fresh', 'sub', 'known_hosts');
  const first = check(file, 'web1', 2222, ed, 'accept-new');
  assert.deepEqual(first, { ok: true, offered: fingerprint(ed.blob), recorded: true });
  assert.equal(readFileSync(file, 'utf8'), `[web1]:2222 ${ed.line}\n`);
  assert.equal(statSync(file).mode & 0o777, 0o600);
  assert.equal(statSync(path.dirname(file)).mode & 0o777, 0o700);
  assert.deepEqual(check(file, 'web1', 2222, ed, 'strict'), { ok: true, offered: fingerprint(ed.blob) });
  assert.deepEqual(check(file, 'web1', 2222, ed, 'accept-new'), { ok: true, offered: fingerprint(ed.blob) });
  assert.equal(readFileSync(file, 'utf8').trim().split('\n').length, 1);
  // ssh-keygen finds the line kplay wrote.
  assert.equal(spawnSync('ssh-keygen', ['-F', '[web1]:2222', '-f', file]).status, 0);

  const changed = check(file, 'web1', 2222, ed2, 'accept-new');
  assert.equal(changed.reason, 'mismatch');
  assert.equal(readFileSync(file, 'utf8').trim().split('\n').length, 1);
});

test('accept-new writes port 22 hosts plainly and keeps the last line intact', () => {
  const file = knownHosts(`web1 ${ed.line}`);
  assert.equal(check(file, 'web2', 22, ec, 'accept-new').recorded, true);
  assert.equal(readFileSync(file, 'utf8'), `web1 ${ed.line}\nweb2 ${ec.line}\n`);
  assert.equal(check(file, 'web1', 22, ed).ok, true);
  assert.equal(check(file, 'web2', 22, ec).ok, true);
});

test('strict refuses an unknown host and says how to add it', () => {
  const file = path.join(dir, 'missing', 'known_hosts');
  const c = check(file, 'web1', 2222, ed);
  assert.deepEqual(c, { ok: false, reason: 'unknown', offered: fingerprint(ed.blob) });
  assert.equal(existsSync(file), false);
  const d = describeHostKeyFailure('web1', 2222, c, file);
  assert.ok(d.message.includes(fingerprint(ed.blob)), d.message);
  assert.ok(d.hint.includes(`ssh-keyscan -p 2222 web1 >> ${file}`), d.hint);
  assert.match(d.hint, /hostKeyChecking: accept-new/);
});

test('aliases: a key on file under any name of the host is accepted', () => {
  const file = knownHosts(`10.0.0.5 ${ed.line}\n[cp1]:2222 ${ec.line}\n`);
  assert.equal(check(file, 'web1', 22, ed, 'strict', ['10.0.0.5']).ok, true);
  assert.equal(check(file, '10.0.0.9', 2222, ec, 'strict', ['cp1']).ok, true);
  const c = check(file, 'web1', 22, ed2, 'accept-new', ['10.0.0.5']);
  assert.equal(c.reason, 'mismatch');
  assert.deepEqual(c.offending, [{ file, line: 1, name: '10.0.0.5' }]);
  assert.ok(describeHostKeyFailure('web1', 22, c, file).hint.includes(`ssh-keygen -R 10.0.0.5 -f ${file}`));
  // Recorded under the host itself, not under an alias.
  const fresh = path.join(dir, 'alias_known_hosts');
  check(fresh, '10.0.0.6', 22, ed, 'accept-new', ['web6']);
  assert.equal(readFileSync(fresh, 'utf8'), `10.0.0.6 ${ed.line}\n`);
});

test('several files: any may vouch, and only the first is written', () => {
  const first = path.join(dir, 'multi', 'known_hosts');
  const second = knownHosts(`web1 ${ed.line}\n`);
  assert.equal(check([first, second], 'web1', 22, ed, 'accept-new').ok, true);
  assert.equal(existsSync(first), false);
  assert.equal(check([first, second], 'web1', 22, ed2, 'accept-new').reason, 'mismatch');
  assert.equal(check([first, second], 'web9', 22, ed, 'accept-new').recorded, true);
  assert.equal(readFileSync(first, 'utf8'), `web9 ${ed.line}\n`);
  assert.equal(readFileSync(second, 'utf8'), `web1 ${ed.line}\n`);
});

test('~ in file names is the home folder', () => {
  const home = path.join(dir, 'home');
  mkdirSync(path.join(home, '.ssh'), { recursive: true });
  writeFileSync(path.join(home, '.ssh', 'known_hosts'), `web1 ${ed.line}\n`);
  const saved = process.env.HOME;
  process.env.HOME = home;
  try {
    assert.equal(check('~/.ssh/known_hosts', 'web1', 22, ed).ok, true);
    assert.equal(check('~/.ssh/known_hosts', 'web2', 22, ed, 'accept-new').recorded, true);
    assert.match(readFileSync(path.join(home, '.ssh', 'known_hosts'), 'utf8'), /^web2 /m);
  } finally {
    process.env.HOME = saved;
  }
});

test('off accepts without reading any file', () => {
  // A folder cannot be read as a file: reading it would throw.
  assert.deepEqual(check(dir, 'web1', 22, ed, 'off'), { ok: true, offered: fingerprint(ed.blob) });
  assert.throws(() => check(dir, 'web1', 22, ed, 'strict'), { code: 'E_FILE' });
});
