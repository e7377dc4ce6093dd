import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileTemplate, shellQuote } from '../../src/template/index.js';

function sh(command: string): string {
  return execFileSync('/bin/sh', ['-c', command], { encoding: 'utf8' });
}

test('shellQuote leaves plain words bare, like shlex.quote', () => {
  for (const word of ['abc', 'ABC_123', 'a-b', '/usr/bin/dlv', 'k=v', 'host:2345', 'a,b', 'user@host', '50%', 'x+y', '.']) {
    assert.equal(shellQuote(word), word);
  }
});

test('shellQuote single-quotes everything else', () => {
  assert.equal(shellQuote(''), "''");
  assert.equal(shellQuote('a b'), "'a b'");
  assert.equal(shellQuote('$(rm -rf /)'), "'$(rm -rf /)'");
  assert.equal(shellQuote('`id`'), "'`id`'");
  assert.equal(shellQuote('a;b'), "'a;b'");
  assert.equal(shellQuote("it's"), `'it'"'"'s'`);
  assert.equal(shellQuote('say "hi"'), `'say "hi"'`);
  assert.equal(shellQuote('a\nb'), "'a\nb'");
  assert.equal(shellQuote('*'), "'*'");
  assert.equal(shellQuote('~'), "'~'");
  assert.equal(shellQuote('héllo'), "'héllo'");
});

const HOSTILE = [
  '$(echo INJECTED)',
  '`echo INJECTED`',
  '${PATH}',
  '$HOME',
  'a; echo INJECTED',
  'a && echo INJECTED',
  'a | cat',
  'a > /dev/null',
  '<in',
  "it's",
  "'",
  "''",
  "'; echo INJECTED; '",
  'say "hi"',
  '"',
  'line1\nline2',
  'trailing newline\n',
  'two  spaces',
  ' leading and trailing ',
  '\ttab',
  '',
  'héllo wörld ✓ 日本語 🚀',
  '*',
  '?',
  '[a-z]',
  '~',
  '~root',
  'a\\b',
  '\\',
  '-n',
  '--help',
  '!',
  '#not a comment',
  '&',
  'a=b c',
  '$((1+1))',
  '%s%s%s',
];

test('a hostile value in {{x}} stays one argument of data when sh runs the command', () => {
  const t = compileTemplate('printf %s {{value}}', 'shell');
  for (const value of HOSTILE) {
    const rendered = t.render({ value });
    assert.equal(sh(rendered), value, `value ${JSON.stringify(value)} rendered as ${rendered}`);
  }
});

test('$(...) and backticks in a value are never executed', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kplay-quote-'));
  try {
    const canary = join(dir, 'canary');
    const t = compileTemplate('printf %s {{a}} {{b}}', 'shell');
    const a = `$(touch ${canary})`;
    const b = `\`touch ${canary}\``;
    assert.equal(sh(t.render({ a, b })), a + b);
    assert.equal(existsSync(canary), false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('{{quote x}} round-trips through sh, also inside {{{ }}}', () => {
  const quoted = compileTemplate('printf %s {{quote value}}', 'shell');
  const raw = compileTemplate('printf %s {{{quote value}}}', 'shell');
  for (const value of HOSTILE) {
    assert.equal(sh(quoted.render({ value })), value);
    assert.equal(sh(raw.render({ value })), value);
  }
});

test('{{args list}} splices each item as its own argv entry', () => {
  const list = ['--flag=a b', "it's", 'say "hi"', '$(echo INJECTED)', '', 'x;y', 'multi\nline', 'plain'];
  const t = compileTemplate(`sh -c 'for a in "$@"; do printf "[%s]" "$a"; done' sh {{args list}}`, 'shell');
  assert.equal(sh(t.render({ list })), list.map((a) => `[${a}]`).join(''));
});

test('{{args}} quotes numbers and booleans too, and an empty list adds nothing', () => {
  const t = compileTemplate(`sh -c 'printf "%s|" "$#" "$@"' sh {{args list}}`, 'shell');
  assert.equal(sh(t.render({ list: [1, true, 'a b'] })), '3|1|true|a b|');
  assert.equal(sh(t.render({ list: [] })), '0|');
});
