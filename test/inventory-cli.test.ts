// `kplay inventory show` and `-i` with Ansible inventories, through the built CLI as a user runs it
// (npm run build first): what is printed for each host, JSON, masking, and the errors of bad files.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { kplay } from './helpers/cli.js';
import { writeTree } from './helpers/files.js';

const INI = `[web]
web[1:2] ansible_user=deploy ansible_ssh_private_key_file=~/.ssh/deploy_ed25519
db1 ansible_host=10.0.0.5 ansible_port=2222 ansible_become=true ansible_become_user=postgres

[web:vars]
ansible_python_interpreter=/usr/bin/python3

[prod:children]
web
`;

test('kplay inventory show prints each host with how it is reached, its groups, and each var with where it comes from', () => {
  const dir = writeTree({ 'hosts.ini': INI, 'group_vars/prod.yml': 'tier: prod\n', 'group_vars/web.yml': 'tier: web\n' });
  const r = kplay(['inventory', 'show', '-i', 'hosts.ini'], { cwd: dir });
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^Inventory hosts\.ini \(Ansible's INI format\): 3 hosts$/m);
  assert.match(r.out, /^web1  deploy@web1  key ~\/\.ssh\/deploy_ed25519$/m);
  assert.match(r.out, /^db1  10\.0\.0\.5:2222  become$/m);
  assert.match(r.out, /^ {2}groups: prod, web$/m);
  assert.match(r.out, /^ {4}become_user: "postgres" {2}\(host, hosts\.ini:3:65\)$/m);
  assert.match(r.out, /^ {4}tier: "web" {2}\(group web, group_vars\/web\.yml:1:1\)$/m);
  assert.match(r.out, /^ {2}prod: web1, web2, db1 {2}\(children: web\)$/m);
  // The setting kplay does not use: a warning on stderr, at its place.
  assert.match(r.err, /hosts\.ini:6:1: warning: ansible_python_interpreter is an Ansible setting kplay does not use/);
});

test('kplay inventory show --host selects hosts; -o json gives the same for programs', () => {
  const dir = writeTree({ 'hosts.ini': INI });
  const r = kplay(['inventory', 'show', '-i', 'hosts.ini', '--host', 'db1', '-o', 'json'], { cwd: dir });
  assert.equal(r.code, 0, r.err);
  const view = JSON.parse(r.out) as { format: string; hosts: { name: string; address: string; port: number; become: boolean; groups: string[]; vars: { name: string; from: string; at: string }[] }[]; groups: { name: string }[] };
  assert.equal(view.format, 'ansible-ini');
  assert.deepEqual(view.hosts.map((h) => [h.name, h.address, h.port, h.become, h.groups]), [['db1', '10.0.0.5', 2222, true, ['prod', 'web']]]);
  assert.deepEqual(view.hosts[0]!.vars.find((v) => v.name === 'become_user'), { name: 'become_user', value: 'postgres', from: 'host', at: 'hosts.ini:3:65' });
  assert.deepEqual(view.groups.map((g) => g.name), ['web', 'prod']);
  const unknown = kplay(['inventory', 'show', '-i', 'hosts.ini', '--host', 'db2'], { cwd: dir });
  assert.equal(unknown.code, 4);
  assert.match(unknown.err, /--host: no host or group named "db2" in hosts\.ini/);
  assert.match(unknown.err, /Did you mean "db1"\?/);
});

test('kplay inventory show never prints a secret: secrets show where they are read from, passwords are masked', () => {
  const password = 'pw-of-the-lab-9f3';
  const dir = writeTree({
    'inv.yaml': 'defaults: {passwordEnv: LAB_PW}\nsecrets: {api_token: {env: API_TOKEN}}\nhosts:\n  h1: {address: 192.0.2.1, vars: {copy: "' + password + '"}}\n',
  });
  const r = kplay(['inventory', 'show', '-i', 'inv.yaml'], { cwd: dir, env: { LAB_PW: password, API_TOKEN: 'token-value-77' } });
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^ {4}api_token: \*{8} \(secret, env API_TOKEN\)$/m);
  assert.match(r.out, /^ {4}copy: "\*{8}"/m);
  assert.ok(!r.out.includes(password) && !r.out.includes('token-value-77'), r.out);
});

test('a malformed INI file and an unknown group among children: exit 4, each at file:line:col with a hint', () => {
  const dir = writeTree({ 'hosts.ini': '[web]\nw1 port 22\n\n[all-nodes:children]\nweb\nwebs\n' });
  for (const args of [['inventory', 'show', '-i', 'hosts.ini'], ['validate', 'hosts.ini']]) {
    const r = kplay(args, { cwd: dir });
    assert.equal(r.code, 4, args.join(' '));
    assert.match(r.err, /^hosts\.ini:2:4: error: "port" is not a key=value setting of the host \[E_INVENTORY\]$/m);
    assert.match(r.err, /^hosts\.ini:6:1: error: group "all-nodes" lists "webs" among its children, and there is no group of that name \[E_INVENTORY\]$/m);
    assert.match(r.err, /hint: Host lines are: NAME key=value/);
    assert.doesNotMatch(r.err, /at .*\.js:\d+/, 'no stack trace');
  }
});

test('kplay plan -i takes an Ansible YAML inventory: the hosts, their addresses and group vars', () => {
  const dir = writeTree({
    'inv.yml': 'all:\n  children:\n    web:\n      hosts:\n        w1: {ansible_host: 192.0.2.7, ansible_user: ops}\n      vars: {greeting: hi}\n',
    'pb.yaml': 'name: p\nhosts: web\ntasks:\n  - name: greet\n    command: echo {{greeting}} {{host.address}}\n',
  });
  const r = kplay(['plan', 'pb.yaml', '-i', 'inv.yml'], { cwd: dir });
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /w1 {2}\(ops@192\.0\.2\.7; groups web\)/);
  assert.match(r.out, /\$ echo hi 192\.0\.2\.7/);
});
