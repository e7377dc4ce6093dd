// Ansible inventories read as they are (INI and YAML, with group_vars/ and host_vars/), kplay's own
// groups of groups, and the mistakes each can hold, reported at file:line:col. Files in temporary
// folders, no root: what a run would use is checked through the plan built from them.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { InvalidInputError, plan } from '../../src/index.js';
import type { Diagnostic } from '../../src/errors.js';
import { expandHostRange, HostRangeError } from '../../src/inventory/host-range.js';
import { loadInventory } from '../../src/inventory/inventory.js';
import type { Inventory } from '../../src/inventory/inventory.js';
import { pythonLiteral, splitWords } from '../../src/inventory/ini-inventory.js';
import { checkFile } from '../../src/config/validate-files.js';
import { REPO_ROOT, writeTree } from '../helpers/files.js';

/** Loads the inventory `name` of a tree of files. */
function load(files: Record<string, string>, name = 'hosts.ini'): { inv?: Inventory; problems: Diagnostic[]; dir: string } {
  const dir = writeTree(files);
  const r = loadInventory(path.join(dir, name));
  return { inv: r.value, problems: r.problems, dir };
}

function errors(problems: Diagnostic[]): Diagnostic[] {
  return problems.filter((p) => p.severity === 'error');
}

/** "line:col message" of each problem of a severity, for compact assertions. */
function where(problems: Diagnostic[], severity: 'error' | 'warning' = 'error'): string[] {
  return problems.filter((p) => p.severity === severity).map((p) => `${p.pos?.line}:${p.pos?.col} ${p.message}`);
}

const INI = `# the web tier and the databases
lonely ansible_host=10.0.0.9

[web]
web[01:03] ansible_user=deploy
db1:2222 ansible_host=10.0.0.5 motto="a b" count=5 flag=True ; not a comment in a host line? it is a word

[web:vars]
http_port = 8080
tier=web

[dbs]
db1 ansible_become_user=postgres

[prod:children]
web
dbs

[prod:vars]
tier=prod
ansible_ssh_common_args='-J admin@bastion:2200 -o UserKnownHostsFile=/etc/kplay/known_hosts -o StrictHostKeyChecking=accept-new'
`;

describe('Ansible INI inventories', () => {
  test('groups, ranges, host:port, children, and the connection settings each host ends with', () => {
    const { inv, problems } = load({ 'hosts.ini': INI.replace(' ; not a comment in a host line? it is a word', '') });
    assert.deepEqual(errors(problems), []);
    assert.deepEqual([...inv!.hosts.keys()], ['lonely', 'web01', 'web02', 'web03', 'db1']);
    assert.equal(inv!.format, 'ansible-ini');
    const db1 = inv!.hosts.get('db1')!;
    assert.deepEqual([db1.address, db1.addressGiven, db1.port], ['10.0.0.5', true, 2222]);
    assert.deepEqual(db1.connection, { jump: 'admin@bastion:2200', knownHosts: '/etc/kplay/known_hosts', hostKeyChecking: 'accept-new', port: 2222 });
    // Outermost first; groups of one depth by name, as Ansible sorts them.
    assert.deepEqual(db1.groups, ['prod', 'dbs', 'web']);
    assert.deepEqual(db1.vars, { motto: 'a b', count: 5, flag: true, become_user: 'postgres' });
    const web2 = inv!.hosts.get('web02')!;
    assert.deepEqual([web2.address, web2.addressGiven, web2.port, web2.connection.user], ['web02', false, 22, 'deploy']);
    assert.deepEqual(inv!.groups.get('prod')!.hosts, ['web01', 'web02', 'web03', 'db1']);
    assert.deepEqual(inv!.groups.get('prod')!.children, ['web', 'dbs']);
    assert.deepEqual(inv!.groups.get('ungrouped')!.hosts, ['lonely']);
    assert.deepEqual(inv!.hosts.get('lonely')!.groups, ['ungrouped']);
  });

  test('vars apply all < outer group < inner group < host, a group_vars/ file after the inline vars of its group', () => {
    const files = {
      'hosts.ini': INI.replace(' ; not a comment in a host line? it is a word', ''),
      'group_vars/all.yml': 'tier: all\nregion: eu\nansible_become: yes\n',
      'group_vars/web/main.yaml': 'http_port: 9090\n',
      'group_vars/web/more.json': '{"extra": "from json"}',
      'host_vars/web01.yml': 'tier: web01-own\nansible_port: 2201\n',
      'pb.yaml': 'name: p\nhosts: web\ntasks:\n  - name: show\n    command: echo {{tier}} {{region}} {{http_port}} {{extra}} {{host.port}}\n',
    };
    const dir = writeTree(files);
    const p = plan({ playbook: path.join(dir, 'pb.yaml'), inventory: path.join(dir, 'hosts.ini') }).plan;
    const cmd = (h: string) => (p.hosts.find((x) => x.name === h)!.steps[0]!.args as { cmd: string }).cmd;
    // web's own line sets tier=web over prod's tier=prod; its group_vars file sets http_port over the inline 8080.
    assert.equal(cmd('web02'), 'echo web eu 9090 \'from json\' 22');
    assert.equal(cmd('web01'), 'echo web01-own eu 9090 \'from json\' 2201');
    // The plan records the group_vars and host_vars files it read, for `run --plan` to check.
    for (const f of ['hosts.ini', 'group_vars/all.yml', 'group_vars/web/main.yaml', 'host_vars/web01.yml']) {
      assert.ok(p.inputs.files.some((x) => x.path === path.join(dir, f)), f);
    }
    const inv = loadInventory(path.join(dir, 'hosts.ini')).value!;
    assert.equal(inv.hosts.get('lonely')!.connection.become, true, 'ansible_become: yes from group_vars/all.yml');
  });

  test("the README's INI example reads without a problem, as it says", () => {
    const example = /```ini\n([\s\S]*?)```/.exec(readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8'))![1]!;
    const { inv, problems } = load({ 'hosts.ini': example });
    assert.deepEqual(problems, []);
    const db1 = inv!.hosts.get('db1')!;
    assert.deepEqual([db1.address, db1.port, db1.connection.become, db1.connection.jump, db1.vars.become_user, db1.groups], ['10.0.0.5', 2222, true, 'admin@bastion', 'postgres', ['prod', 'web']]);
  });

  test("a host's ansible_ssh_common_args replaces its group's whole, as a variable overrides a variable", () => {
    const { inv } = load({ 'hosts.ini': "[web]\nw1 ansible_ssh_common_args='-o UserKnownHostsFile=/x'\nw2\n\n[web:vars]\nansible_ssh_common_args=-J bastion -o StrictHostKeyChecking=no\n" });
    assert.deepEqual(inv!.hosts.get('w1')!.connection, { knownHosts: '/x' });
    assert.deepEqual(inv!.hosts.get('w2')!.connection, { jump: 'bastion', hostKeyChecking: 'off' });
  });

  test("kplay's own settings that Ansible has no name for: kplay_state_dir, kplay_*_env, kplay_host_key_checking", () => {
    const { inv, problems } = load({
      'hosts.ini': '[web]\nw1 kplay_state_dir=/srv/kplay kplay_password_env=W1_PW kplay_become_password_env=W1_SUDO kplay_host_key_checking=accept-new\nw2 kplay_password_env="not a name" kplay_statedir=/x\n',
    });
    assert.deepEqual(inv!.hosts.get('w1')!.connection, { stateDir: '/srv/kplay', passwordEnv: 'W1_PW', becomePasswordEnv: 'W1_SUDO', hostKeyChecking: 'accept-new' });
    assert.deepEqual(where(problems), ['3:4 kplay_password_env names the environment variable that holds the secret, not a value like this one']);
    assert.deepEqual(where(problems, 'warning'), ['3:36 kplay_statedir is no kplay setting; it stays a variable only']);
    assert.ok(!JSON.stringify(problems).includes('not a name'), 'what may be a secret is not repeated');
  });

  test('a template in a group_vars file renders per host, and a mistake in it is reported in that file', () => {
    const dir = writeTree({
      'hosts.ini': '[web]\nw1\n',
      'group_vars/web.yml': 'greeting: "hello {{host.name}}"\nbroken: "{{nope}}"\n',
      'pb.yaml': 'name: p\nhosts: all\ntasks:\n  - name: show\n    command: echo {{greeting}}\n',
    });
    assert.throws(
      () => plan({ playbook: path.join(dir, 'pb.yaml'), inventory: path.join(dir, 'hosts.ini') }),
      (e: unknown) => e instanceof InvalidInputError && e.problems.some((p) => p.pos?.file.endsWith(path.join('group_vars', 'web.yml')) && p.pos.line === 2 && /nope/.test(p.message)),
    );
  });

  test('a value in the INI file is taken literally, as text', () => {
    const dir = writeTree({ 'hosts.ini': '[web]\nw1 motto="{{x}}"\n', 'pb.yaml': 'name: p\nhosts: all\ntasks:\n  - name: show\n    command: echo {{motto}}\n' });
    const p = plan({ playbook: path.join(dir, 'pb.yaml'), inventory: path.join(dir, 'hosts.ini') }).plan;
    assert.equal((p.hosts[0]!.steps[0]!.args as { cmd: string }).cmd, "echo '{{x}}'");
  });

  test('mistakes: each at its line and column, with a hint', () => {
    const { problems } = load({
      'hosts.ini': [
        '[web]',
        'node[05:01]',
        'ok[1:x]',
        'w1 lonelyword',
        'w2 ansible_port=http',
        'w3 motto="never closed',
        '',
        '[web:children]',
        'nosuch',
        'loop',
        '',
        '[loop:children]',
        'web',
        '',
        '[ghost:vars]',
        'x=1',
        '',
        '[web:vars]',
        'no equals sign here',
        '[bad section]',
        '[web:hostz]',
        '[under_score]',
        'bad/name',
      ].join('\n'),
    });
    assert.deepEqual(where(problems), [
      '2:5 bad host range: "[05:01]" starts after it ends',
      '3:3 bad host range: "[1:x]" mixes a letter and something else: both ends are single letters or both numbers',
      '4:4 "lonelyword" is not a key=value setting of the host',
      '6:1 a quote on this line is never closed',
      '19:1 "no equals sign here" is not a key=value line',
      '20:1 "[bad section]" is not a section header',
      '21:1 section [web:hostz] has an unknown type "hostz"',
      '23:1 "bad/name" cannot name a host in kplay: names use letters, digits, \'.\', \'_\' and \'-\', and start with a letter or digit',
      '15:1 [ghost:vars] gives vars to a group that no [ghost] or [ghost:children] section defines',
      '5:4 ansible_port must be a port number from 1 to 65535, not "http"',
      '9:1 group "web" lists "nosuch" among its children, and there is no group of that name',
      '13:1 group "web" contains itself: web -> loop -> web',
    ]);
    for (const p of errors(problems)) assert.ok(p.hint && p.pos?.file.endsWith('hosts.ini'), p.message);
  });

  test('ansible_* settings kplay does not use are warned about by name and place (once for a range), and stay vars; passwords are dropped, never shown', () => {
    const { inv, problems } = load({
      'hosts.ini': '[web]\nw[1:3] ansible_python_interpreter=/usr/bin/python3 ansible_password=hunter2hunter\n\n[web:vars]\nansible_connection=local\nansible_ssh_common_args=-o ForwardAgent=yes -p 2222\n',
    });
    assert.deepEqual(errors(problems), []);
    assert.deepEqual(where(problems, 'warning'), [
      '5:1 ansible_connection=local is not used: kplay connects over SSH only',
      '6:1 ansible_ssh_common_args: "-o ForwardAgent=yes" is not used',
      '6:1 ansible_ssh_common_args: "-p 2222" is not used',
      '2:8 ansible_python_interpreter is an Ansible setting kplay does not use; it stays a variable only',
      '2:52 ansible_password writes a password in the inventory; kplay does not use it (nor shows it)',
    ]);
    assert.ok(!JSON.stringify(problems).includes('hunter2'), 'the password appears in no message');
    assert.deepEqual(inv!.hosts.get('w1')!.vars, { ansible_python_interpreter: '/usr/bin/python3' });
    assert.deepEqual(inv!.hosts.get('w1')!.connection, {}, 'ansible_connection=local does not change how kplay connects');
  });

  test('group_vars/: a vault file is refused, a file for no group is warned about, an empty file is no vars', () => {
    const { problems, dir } = load({
      'hosts.ini': '[web]\nw1\n',
      'group_vars/web.yml': '$ANSIBLE_VAULT;1.1;AES256\n6162636465\n',
      'group_vars/wbe.yml': 'x: 1\n',
      'group_vars/all.yml': '---\n# nothing yet\n',
      'host_vars/w1.yml': '- a list\n',
    });
    assert.deepEqual(
      problems.map((p) => `${p.severity} ${path.relative(dir, path.resolve(p.pos!.file))}:${p.pos!.line} ${p.message.replace(dir + path.sep, '')}`),
      [
        'warning group_vars/wbe.yml:1 group_vars/: "wbe" is no group of the inventory, so its vars are not used',
        'error group_vars/web.yml:1 group_vars/web.yml is encrypted with Ansible Vault',
        'error host_vars/w1.yml:1 host_vars/w1.yml holds a list, not a mapping of vars',
      ],
    );
    assert.match(problems[0]!.hint!, /Did you mean "web"\?/);
  });
});

describe('Ansible YAML inventories', () => {
  const YAML = `all:
  vars:
    ntp: pool.ntp.org
  hosts:
    lonely:
  children:
    web:
      hosts:
        web[1:2]:
          ansible_host: 127.0.0.2
        web3:2201:
      vars:
        role: web
      children:
        canary:
          hosts:
            web1:
          vars:
            role: canary
    db:
      hosts:
        db1: {ansible_become_user: postgres, ansible_become: true}
`;

  test('top-level groups, nested children, ranges, ports and vars, as INI gives them', () => {
    const { inv, problems } = load({ 'inv.yml': YAML }, 'inv.yml');
    assert.deepEqual(problems, []);
    assert.equal(inv!.format, 'ansible-yaml');
    assert.deepEqual([...inv!.hosts.keys()], ['lonely', 'web1', 'web2', 'web3', 'db1']);
    assert.deepEqual(inv!.hosts.get('web1')!.groups, ['web', 'canary']);
    assert.deepEqual(inv!.groups.get('web')!.hosts, ['web1', 'web2', 'web3']);
    assert.deepEqual([inv!.hosts.get('web2')!.address, inv!.hosts.get('web3')!.port], ['127.0.0.2', 2201]);
    assert.deepEqual([inv!.hosts.get('db1')!.connection.become, inv!.hosts.get('db1')!.vars], [true, { become_user: 'postgres' }]);
    assert.deepEqual(inv!.vars, { ntp: 'pool.ntp.org' });
    assert.deepEqual(inv!.groups.get('ungrouped')!.hosts, ['lonely']);
  });

  test('a child group\'s vars win over its parent\'s in a run\'s variables', () => {
    const dir = writeTree({ 'inv.yml': YAML, 'pb.yaml': 'name: p\nhosts: web\ntasks:\n  - name: show\n    command: echo {{role}} {{ntp}}\n' });
    const p = plan({ playbook: path.join(dir, 'pb.yaml'), inventory: path.join(dir, 'inv.yml') }).plan;
    const cmds = Object.fromEntries(p.hosts.map((h) => [h.name, (h.steps[0]!.args as { cmd: string }).cmd]));
    assert.deepEqual(cmds, { web1: 'echo canary pool.ntp.org', web2: 'echo web pool.ntp.org', web3: 'echo web pool.ntp.org' });
  });

  test('mistakes: hosts written as a list, an unknown key, a bad range, a cycle', () => {
    const { problems } = load(
      {
        'inv.yml': 'all:\n  children:\n    web:\n      hosts: [w1, w2]\n      hostvars: {}\n    db:\n      hosts:\n        db[3:1]:\n      children:\n        back:\n          children:\n            db:\n',
      },
      'inv.yml',
    );
    assert.deepEqual(where(problems), [
      '5:7 group "web" has an unknown key "hostvars"',
      '4:14 the hosts of group "web" are a list, not a mapping',
      '8:11 bad host range: "[3:1]" starts after it ends',
      '12:13 group "db" contains itself: db -> back -> db',
    ]);
    assert.match(errors(problems)[1]!.hint!, /Write each host as a key/);
  });

  test('a kplay inventory, a playbook and a file that is neither keep their own errors', () => {
    const kplayInv = load({ 'inv.yaml': 'hosts:\n  cp1: {address: 127.0.0.2}\ngroups:\n  all-cp: {hosts: [cp1]}\n' }, 'inv.yaml');
    assert.deepEqual([kplayInv.problems, kplayInv.inv!.format], [[], undefined]);
    const playbook = load({ 'pb.yaml': 'name: p\nhosts: all\ntasks: []\n' }, 'pb.yaml');
    assert.ok(errors(playbook.problems).some((p) => p.code === 'E_SCHEMA'), 'a playbook given as an inventory is refused by the inventory schema');
    const neither = load({ 'x.yaml': '- just\n- a list\n' }, 'x.yaml');
    assert.match(errors(neither.problems)[0]!.message, /an inventory is a mapping with hosts/);
  });
});

describe("kplay's own groups of groups", () => {
  const INV = `hosts:
  cp1: {address: 127.0.0.2}
  w1: {address: 127.0.0.3}
vars: {tier: all}
groups:
  cluster:
    children: [control-plane, workers]
    vars: {tier: cluster, only: cluster}
  control-plane:
    hosts: [cp1]
    vars: {tier: cp}
  workers:
    hosts: [w1]
`;

  test('a group holds its children\'s hosts, and a child\'s vars win over its parent\'s whatever the order written', () => {
    const dir = writeTree({ 'inv.yaml': INV, 'pb.yaml': 'name: p\nhosts: cluster\ntasks:\n  - name: show\n    command: echo {{tier}} {{only}}\n' });
    const inv = loadInventory(path.join(dir, 'inv.yaml')).value!;
    assert.deepEqual(inv.groups.get('cluster')!.hosts, ['cp1', 'w1']);
    assert.deepEqual(inv.hosts.get('cp1')!.groups, ['cluster', 'control-plane']);
    const p = plan({ playbook: path.join(dir, 'pb.yaml'), inventory: path.join(dir, 'inv.yaml') }).plan;
    assert.deepEqual(
      p.hosts.map((h) => (h.steps[0]!.args as { cmd: string }).cmd),
      ['echo cp cluster', 'echo cluster cluster'],
    );
  });

  test('a cycle, an unknown child and a host among children are errors where they are written', () => {
    const bad = INV.replace('children: [control-plane, workers]', 'children: [control-plane, wrokers, cp1]').replace('    hosts: [w1]\n', '    hosts: [w1]\n    children: [cluster]\n');
    const { problems } = load({ 'inv.yaml': bad }, 'inv.yaml');
    assert.deepEqual(where(problems), [
      '7:31 group "cluster" lists "wrokers" among its children, and there is no group of that name',
      '7:40 group "cluster" lists the host "cp1" among its children, which are groups',
    ]);
    assert.match(errors(problems)[0]!.hint!, /Did you mean "workers"\?/);
    const cyclic = load({ 'inv.yaml': INV.replace('    hosts: [w1]\n', '    hosts: [w1]\n    children: [cluster]\n') }, 'inv.yaml');
    assert.deepEqual(where(cyclic.problems), ['14:16 group "cluster" contains itself: cluster -> workers -> cluster']);
  });
});

describe('host ranges and INI words', () => {
  test('numbers with and without padding, letters, steps, several ranges in one name', () => {
    assert.deepEqual(expandHostRange('node[08:11]'), ['node08', 'node09', 'node10', 'node11']);
    assert.deepEqual(expandHostRange('n[1:3].x'), ['n1.x', 'n2.x', 'n3.x']);
    assert.deepEqual(expandHostRange('web[a:c]'), ['weba', 'webb', 'webc']);
    assert.deepEqual(expandHostRange('n[0:10:5]'), ['n0', 'n5', 'n10']);
    assert.deepEqual(expandHostRange('r[1:2]-[a:b]'), ['r1-a', 'r1-b', 'r2-a', 'r2-b']);
  });

  test('bad ranges say what is wrong and where', () => {
    const cases: [string, RegExp, number][] = [
      ['n[1:3', /never closed/, 1],
      ['n[01:100]', /as many digits \(2\)/, 1],
      ['n[1:2:0]', /step/, 1],
      ['n[1]', /not a range/, 1],
      ['n[1:]', /no end/, 1],
      ['r[1:2]-[b:a]', /starts after it ends/, 7],
      ['n[0:99999]', /more than 10000 hosts/, 1],
    ];
    for (const [pattern, message, offset] of cases) {
      assert.throws(() => expandHostRange(pattern), (e: unknown) => e instanceof HostRangeError && message.test(e.message) && e.offset === offset, pattern);
    }
  });

  test('host line words split as a shell would; values read as Python literals', () => {
    assert.deepEqual(splitWords('h1 a="x y" b=\'q\' c=d\\ e # comment')?.map((w) => [w.text, w.col]), [['h1', 1], ['a=x y', 4], ["b=q", 12], ['c=d e', 18]]);
    assert.equal(splitWords('h1 a="open'), undefined);
    assert.deepEqual(['2222', '1.5', 'True', 'None', "'0644'", '[1, 2]', "{'a': 1}", 'true', 'text'].map(pythonLiteral), [2222, 1.5, true, null, '0644', [1, 2], { a: 1 }, 'true', 'text']);
  });
});

describe('kplay validate reads Ansible inventories', () => {
  test('an INI file and a YAML one are checked as inventories, their mistakes at file:line:col', () => {
    const dir = writeTree({ 'hosts': '[web]\nw[1:0]\n', 'inv.yml': 'all:\n  children:\n    web:\n      hosts:\n        w1:\n' });
    const ini = checkFile(path.join(dir, 'hosts'));
    assert.equal(ini.kind, 'inventory');
    assert.deepEqual(where(ini.problems), ['2:2 bad host range: "[1:0]" starts after it ends']);
    const yaml = checkFile(path.join(dir, 'inv.yml'));
    assert.deepEqual([yaml.kind, yaml.problems], ['inventory', []]);
  });
});
