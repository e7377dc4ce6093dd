import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import path from 'node:path';
import { loadSshConfig, matchPatternList, resolveSshConfig } from '../../src/connection/ssh-config.js';

const dir = mkdtempSync(path.join(tmpdir(), 'kplay-ssh-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, content: string): string {
  const file = path.join(dir, name);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, content);
  return file;
}

function withHome<T>(home: string, fn: () => T): T {
  const saved = process.env.HOME;
  process.env.HOME = home;
  try {
    return fn();
  } finally {
    process.env.HOME = saved;
  }
}

const home = os.homedir();
const me = os.userInfo().username;

test('the first value that applies wins, across Host blocks', () => {
  const text = `
Host web1
  User alice
  Port 2200

Host web*
  User bob
  HostName web.example.com

Host *
  User carol
  Port 22
  HostName fallback
`;
  assert.deepEqual(resolveSshConfig(text, 'web1'), { hostName: 'web.example.com', user: 'alice', port: 2200, identityFiles: [] });
  assert.deepEqual(resolveSshConfig(text, 'web2'), { hostName: 'web.example.com', user: 'bob', port: 22, identityFiles: [] });
  assert.deepEqual(resolveSshConfig(text, 'db'), { hostName: 'fallback', user: 'carol', port: 22, identityFiles: [] });
});

test('settings before any Host line apply to every host', () => {
  const text = 'User early\nHost web1\n  User late\n';
  assert.equal(resolveSshConfig(text, 'web1').user, 'early');
});

test('Host patterns: several per line, ? and *, negation vetoes', () => {
  const text = `
Host db1 *.prod !secret.prod
  User ops
Host node-?
  Port 2201
`;
  assert.equal(resolveSshConfig(text, 'db1').user, 'ops');
  assert.equal(resolveSshConfig(text, 'api.prod').user, 'ops');
  assert.equal(resolveSshConfig(text, 'API.PROD').user, 'ops');
  assert.equal(resolveSshConfig(text, 'secret.prod').user, undefined);
  assert.equal(resolveSshConfig(text, 'node-1').port, 2201);
  assert.equal(resolveSshConfig(text, 'node-10').port, undefined);
  assert.equal(matchPatternList('web1', ['!web2']), false, 'a negation alone matches nothing');
});

test('Match all applies; other Match forms are treated as not matching', () => {
  const text = `
Match host web1
  User wrong
Match exec "true"
  Port 1
Host web1
  HostName 10.0.0.1
Match all
  User everyone
  Port 2222
`;
  assert.deepEqual(resolveSshConfig(text, 'web1'), { hostName: '10.0.0.1', user: 'everyone', port: 2222, identityFiles: [] });
});

test('keyword=value, any case, quotes and comments', () => {
  const text = [
    '# a comment',
    'Host=web1',
    '  HOSTNAME=10.0.0.1',
    '  user = "alice"',
    '\tport =2222   # trailing comment',
    '  IdentityFile "/keys/my key"',
    "  identityfile '/keys/other'",
    '  IdentityFile /keys/with\\ space',
    '',
  ].join('\r\n');
  assert.deepEqual(resolveSshConfig(text, 'web1'), {
    hostName: '10.0.0.1',
    user: 'alice',
    port: 2222,
    identityFiles: ['/keys/my key', '/keys/other', '/keys/with space'],
  });
});

test('IdentityFile accumulates in order, with ~ expanded', () => {
  const text = `
Host web1
  IdentityFile ~/.ssh/web1
Host *
  IdentityFile ~/.ssh/id_ed25519
  IdentityFile /etc/keys/shared
`;
  assert.deepEqual(resolveSshConfig(text, 'web1').identityFiles, [
    path.join(home, '.ssh/web1'),
    path.join(home, '.ssh/id_ed25519'),
    '/etc/keys/shared',
  ]);
  assert.deepEqual(resolveSshConfig(text, 'db').identityFiles, [path.join(home, '.ssh/id_ed25519'), '/etc/keys/shared']);
});

test('tokens in HostName and IdentityFile', () => {
  const text = `
Host web1
  HostName %h.internal.example.com
  User deploy
  Port 2222
  IdentityFile ~/.ssh/%h_%r_%p
  IdentityFile %d/keys/%n-%u
  IdentityFile /keys/100%%
Host db1
  IdentityFile /keys/%r@%h:%p
`;
  const web = resolveSshConfig(text, 'web1');
  assert.equal(web.hostName, 'web1.internal.example.com');
  assert.deepEqual(web.identityFiles, [
    path.join(home, '.ssh/web1.internal.example.com_deploy_2222'),
    `${home}/keys/web1-${me}`,
    '/keys/100%',
  ]);
  // Without User or Port, %r and %p are what ssh would use: the local user and 22.
  assert.deepEqual(resolveSshConfig(text, 'db1').identityFiles, [`/keys/${me}@db1:22`]);
});

test('ProxyJump: comma-separated hops, the first value wins, none disables', () => {
  const text = `
Host inner
  ProxyJump none
Host deep
  ProxyJump alice@bastion1:2222,bastion2, [fd00::1]:22
Host *
  ProxyJump bastion
`;
  assert.deepEqual(resolveSshConfig(text, 'inner').proxyJump, []);
  assert.deepEqual(resolveSshConfig(text, 'other').proxyJump, ['bastion']);
  assert.throws(() => resolveSshConfig(text, 'deep'), { code: 'E_FILE' }, 'a space splits the value in two, as ssh says');
  const chain = 'Host deep\n  ProxyJump alice@bastion1:2222,bastion2,[fd00::1]:22\n';
  assert.deepEqual(resolveSshConfig(chain, 'deep').proxyJump, ['alice@bastion1:2222', 'bastion2', '[fd00::1]:22']);
  assert.equal(resolveSshConfig(chain, 'other').proxyJump, undefined);
});

test('Include with a glob reads files in lexical order, where the Include stands', () => {
  write('inc/conf.d/20-b.conf', 'Host web1\n  User from-b\n  IdentityFile /keys/b\n');
  write('inc/conf.d/10-a.conf', 'Port 2010\nHost web1\n  IdentityFile /keys/a\n');
  write('inc/conf.d/.hidden.conf', 'Host *\n  User hidden\n');
  write('inc/conf.d/notes.txt', 'Host *\n  User txt\n');
  const text = `
IdentityFile /keys/main
Include ${dir}/inc/conf.d/*.conf
Host *
  User last
  Port 22
`;
  assert.deepEqual(resolveSshConfig(text, 'web1'), { user: 'from-b', port: 2010, identityFiles: ['/keys/main', '/keys/a', '/keys/b'] });
  // 10-a.conf starts out applying, as the Include line did, so its Port counts for every host.
  assert.deepEqual(resolveSshConfig(text, 'db'), { user: 'last', port: 2010, identityFiles: ['/keys/main'] });
});

test('an Include inside a Host block only counts for that host, and the block carries on after it', () => {
  write('inc2/web.conf', 'User included\nHost *\n  Port 2999\n');
  const text = `
Host web1
  Include ${dir}/inc2/web.conf
  IdentityFile /keys/after
Host *
  User other
`;
  assert.deepEqual(resolveSshConfig(text, 'web1'), { user: 'included', port: 2999, identityFiles: ['/keys/after'] });
  assert.deepEqual(resolveSshConfig(text, 'db'), { user: 'other', identityFiles: [] });
});

test('relative Include paths are in ~/.ssh; a missing include is no error', () => {
  const fakeHome = path.join(dir, 'home');
  write('home/.ssh/config.d/one', 'Host web1\n  User relative\n');
  const config = write('home/.ssh/config', 'Include config.d/*\nInclude does-not-exist\nInclude ~/.ssh/nowhere/*\n');
  assert.equal(
    withHome(fakeHome, () => loadSshConfig('web1').user),
    'relative',
  );
  assert.equal(withHome(fakeHome, () => loadSshConfig('web1', config).user), 'relative');
  assert.equal(withHome(fakeHome, () => loadSshConfig('web1', '~/.ssh/config').user), 'relative');
});

test('an Include loop is stopped', () => {
  const loop = write('loop/config', `Include ${dir}/loop/config\n`);
  assert.throws(() => loadSshConfig('web1', loop), (e: Error & { code?: string }) => e.code === 'E_FILE' && /nested/.test(e.message));
});

test('a missing config file gives an empty entry', () => {
  assert.deepEqual(loadSshConfig('web1', path.join(dir, 'nope', 'config')), { identityFiles: [] });
});

test('bad values are reported with their line', () => {
  assert.throws(() => resolveSshConfig('Host web1\n  Port ssh-port\n', 'web1'), (e: Error & { code?: string; pos?: { line: number } }) => {
    return e.code === 'E_FILE' && e.pos?.line === 2 && /port number/.test(e.message);
  });
  assert.throws(() => resolveSshConfig('Host web1\n  Port 70000\n', 'web1'), { code: 'E_FILE' });
  assert.throws(() => resolveSshConfig('IdentityFile /my key\n', 'web1'), { code: 'E_FILE' });
  assert.throws(() => resolveSshConfig('User "alice\n', 'web1'), { code: 'E_FILE' });
  // Lines for other hosts are not kplay's to judge, and unknown keywords are ssh's business.
  assert.deepEqual(resolveSshConfig('Host other\n  Port nope\nHost *\n  ForwardAgent yes\n  Ciphers aes256-ctr\n', 'web1'), { identityFiles: [] });
});
