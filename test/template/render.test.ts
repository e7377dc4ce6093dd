import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { compileTemplate } from '../../src/template/index.js';
import { problemOf } from '../helpers/template.js';

function render(source: string, context: Record<string, unknown>, mode: 'shell' | 'text' = 'shell'): string {
  return compileTemplate(source, mode).render(context);
}

test('shell mode quotes {{x}} and leaves plain words bare', () => {
  assert.equal(render('kubectl -n {{ns}} get pod {{pod}}', { ns: 'kube-system', pod: 'my pod' }), "kubectl -n kube-system get pod 'my pod'");
});

test('shell mode renders numbers, booleans and null as text', () => {
  assert.equal(render('{{a}} {{b}} {{c}} {{d}}', { a: 2345, b: true, c: null, d: 0 }), "2345 true '' 0");
});

test('{{{x}}} inserts raw text on purpose', () => {
  assert.equal(render('{{{pipeline}}}', { pipeline: 'ps aux | grep "kube-apiserver" > /tmp/x' }), 'ps aux | grep "kube-apiserver" > /tmp/x');
  assert.equal(render('{{{n}}}', { n: 7 }), '7');
});

test('nothing is HTML-escaped in shell mode', () => {
  assert.equal(render('{{{x}}} {{join list ","}}', { x: '<&>"\'', list: ['<a>', '&'] }), `<&>"' '<a>,&'`);
});

test('text mode inserts plain values, with no quoting and no HTML escaping', () => {
  const ctx = { x: `<&>"' $(x) a b`, n: 3, z: null };
  assert.equal(render('v={{x}} raw={{{x}}} n={{n}} z=[{{z}}]', ctx, 'text'), `v=<&>"' $(x) a b raw=<&>"' $(x) a b n=3 z=[]`);
});

test('text mode renders lists and maps as JSON', () => {
  assert.equal(render('{{list}} {{map}}', { list: [1, 'a'], map: { k: [true] } }, 'text'), '[1,"a"] {"k":[true]}');
});

test('a list or map inserted by a mustache in shell mode is an error that names the helpers to use', () => {
  for (const source of ['echo {{flags}}', 'echo {{{flags}}}']) {
    const p = problemOf(() => render(source, { flags: ['-v', '2'] }));
    assert.match(p.message, /cannot insert "flags" \(a list\) into a shell command/);
    assert.match(p.hint ?? '', /\{\{args flags\}\}/);
    assert.match(p.hint ?? '', /\{\{join flags " "\}\}/);
    assert.match(p.hint ?? '', /\{\{json flags\}\}/);
    assert.deepEqual([p.line, p.col], [1, source.indexOf('flags') + 1]);
  }
  assert.match(problemOf(() => render('{{spec}}', { spec: { a: 1 } })).message, /a map/);
});

test('json, join and args make lists usable in shell mode', () => {
  const ctx = { flags: ['-v', '2'], spec: { image: "it's" } };
  assert.equal(render('{{join flags ","}} {{join flags}}', ctx), "-v,2 '-v 2'");
  assert.equal(render('{{args flags}}', ctx), '-v 2');
  const rendered = render('printf %s {{json spec}}', ctx);
  assert.equal(execFileSync('/bin/sh', ['-c', rendered], { encoding: 'utf8' }), '{"image":"it\'s"}');
});

test('default fills in missing and null values, as Ansible\'s default, and keeps empty ones, 0 and false', () => {
  const t = compileTemplate('[{{default v "fb"}}]', 'shell');
  assert.equal(t.render({}), '[fb]');
  assert.equal(t.render({ v: null }), '[fb]');
  assert.equal(t.render({ v: '' }), "['']");
  assert.equal(t.render({ v: 0 }), '[0]');
  assert.equal(t.render({ v: false }), '[false]');
  assert.equal(t.render({ v: 'set' }), '[set]');
  assert.equal(render('{{default host.extra.deep "x"}}', { host: {} }), 'x');
  assert.equal(render('{{default missing (default alsoMissing "second")}}', {}), 'second');
  assert.equal(render('{{default (lookup ports name) 22}}', { ports: { ssh: 2222 }, name: 'dlv' }), '22');
});

test('comparison and logic helpers', () => {
  const ctx = { a: 1, b: 2, s: 'x', list: [], on: true, off: false };
  assert.equal(render('{{eq a 1}} {{eq a "1"}} {{eq a "1.0"}} {{ne a b}} {{lt a b}} {{gt a b}} {{lt s "y"}}', ctx), 'true true true true true false true');
  assert.equal(render('{{and on a}} {{and on off}} {{or off list}} {{or off s}} {{not list}} {{not s}}', ctx), 'true false false true true false');
  assert.equal(render('{{eq list (lookup this "list")}}', ctx), 'true');
  const p = problemOf(() => render('{{lt a s}}', ctx));
  assert.equal(p.message, 'lt cannot compare 1 with "x": "x" does not hold a number');
});

test('concat, basename, dirname and lookup', () => {
  const ctx = { dir: '/etc/kubernetes/manifests', file: 'kube-apiserver.yaml', ports: { dlv: 2345 }, key: 'dlv' };
  assert.equal(render('{{concat dir "/" file}}', ctx), '/etc/kubernetes/manifests/kube-apiserver.yaml');
  assert.equal(render('{{basename (concat dir "/" file)}} {{dirname dir}}', ctx), 'kube-apiserver.yaml /etc/kubernetes');
  assert.equal(render('{{lookup ports key}}', ctx), '2345');
  const p = problemOf(() => render('{{lookup ports "dvl"}}', ctx));
  assert.match(p.message, /lookup found no key "dvl"/);
  assert.match(p.hint ?? '', /did you mean "dlv"/);
});

test('#if, #unless, #each and #with work, with standalone lines removed', () => {
  const source = ['set -e', '{{#if debug}}', 'echo debug on', '{{else}}', 'echo debug off', '{{/if}}', '{{#each hosts}}', 'ssh {{name}} -p {{../port}} # {{@index}}', '{{/each}}', '{{#with dlv}}dlv --listen=:{{port}}{{/with}}'].join('\n');
  const out = render(source, { debug: false, hosts: [{ name: 'a' }, { name: 'b c' }], port: 22, dlv: { port: 2345 } });
  assert.equal(out, ['set -e', 'echo debug off', 'ssh a -p 22 # 0', "ssh 'b c' -p 22 # 1", 'dlv --listen=:2345'].join('\n'));
});

test('#each block parameters and {{else}}', () => {
  assert.equal(render('{{#each xs as |x i|}}{{i}}={{x}} {{/each}}', { xs: ['a', 'b'] }), '0=a 1=b ');
  assert.equal(render('{{#each xs}}{{this}}{{else}}none {{empty}}{{/each}}', { xs: [], empty: '' }), "none ''");
});

test('a template without mustaches is constant and renders to its source', () => {
  const t = compileTemplate('systemctl restart kubelet', 'shell');
  assert.equal(t.isConstant, true);
  assert.equal(t.render({}), 'systemctl restart kubelet');
  assert.deepEqual(t.references, []);
  assert.equal(compileTemplate('echo {{x}}', 'shell').isConstant, false);
});

test('escaped \\{{ and comments leave a template constant', () => {
  const t = compileTemplate('echo \\{{literal}} {{! a note }}done', 'shell');
  assert.equal(t.isConstant, true);
  assert.equal(t.render({}), 'echo {{literal}} done');
});

test('{{else if}} chains', () => {
  const t = compileTemplate('{{#if (eq mode "static-pod")}}pod{{else if (eq mode "systemd")}}unit{{else}}other{{/if}}', 'shell');
  assert.deepEqual(['static-pod', 'systemd', 'x'].map((mode) => t.render({ mode })), ['pod', 'unit', 'other']);
});

test('the compiled template keeps its source and mode', () => {
  const t = compileTemplate('echo {{x}}', 'text');
  assert.equal(t.source, 'echo {{x}}');
  assert.equal(t.mode, 'text');
});

test('templates never see inherited properties such as constructor', () => {
  assert.match(problemOf(() => render('{{constructor}}', {})).message, /undefined variable "constructor"/);
  assert.match(problemOf(() => render('{{x.constructor.name}}', { x: {} })).message, /undefined variable "x.constructor.name"/);
});

test('compiling once and rendering 15,000 times gives the right output each time', () => {
  const t = compileTemplate('dlv attach --listen=:{{port}} --headless {{args flags}} # {{host.name}}{{#if debug}} -v{{/if}}', 'shell');
  let total = 0;
  for (let i = 0; i < 15_000; i++) {
    const out = t.render({ port: 2345 + (i % 500), flags: ['--log', `node ${i}`], host: { name: `node-${i}` }, debug: i % 2 === 0 });
    if (i === 0) assert.equal(out, "dlv attach --listen=:2345 --headless --log 'node 0' # node-0 -v");
    if (i === 14_999) assert.equal(out, "dlv attach --listen=:2844 --headless --log 'node 14999' # node-14999");
    total += out.length;
  }
  assert.ok(total > 15_000 * 50);
});

test('slice drops argv[0] of a captured command line', () => {
  const cmdline = ['kube-apiserver', '--secure-port=6443', '--etcd-servers=https://127.0.0.1:2379'];
  assert.equal(render('dlv exec bin -- {{args (slice flags 1)}}', { flags: cmdline }), 'dlv exec bin -- --secure-port=6443 --etcd-servers=https://127.0.0.1:2379');
  assert.equal(render('{{args (slice flags 0 1)}}', { flags: cmdline }), 'kube-apiserver');
  assert.match(problemOf(() => render('{{args (slice flags "x")}}', { flags: cmdline })).message, /slice: positions are whole numbers/);
  assert.match(problemOf(() => render('{{args (slice flags 1)}}', { flags: 'a b' })).message, /slice takes a list, got a string/);
});

test('with_flag replaces every form of a flag and keeps the others in order', () => {
  const flags = ['--a=1', '--leader-elect=true', '--b', '--leader-elect', 'true', '--leader-elect', '--c=3'];
  assert.equal(render('{{args (with_flag f "--leader-elect" "false")}}', { f: flags }), '--a=1 --b --c=3 --leader-elect=false');
  assert.equal(render('{{args (with_flag f "--v" "4")}}', { f: ['--x'] }), '--x --v=4');
  assert.match(problemOf(() => render('{{args (with_flag f "v" "4")}}', { f: [] })).message, /must start with "-"/);
});

test('replace substitutes every occurrence, and its result is quoted like any value', () => {
  assert.equal(render('{{replace s "$(NODE_NAME)" n}}', { s: '--hostname-override=$(NODE_NAME)', n: 'node 1' }), "'--hostname-override=node 1'");
  assert.equal(render('{{replace s "a" "b"}}', { s: 'aaa' }), 'bbb');
  assert.match(problemOf(() => render('{{replace s "" "b"}}', { s: 'x' })).message, /non-empty text to find/);
});
