// Positions reached through a YAML alias (nodeAt/posAt in src/config/yaml-source.ts) resolve each
// alias once per document; the answer must stay the yaml library's own Alias.resolve(): the last
// node before the alias that carries its anchor, anchors redefined further down included.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isAlias, isPair, visit } from 'yaml';
import { nodeAt, parseYaml, posAt } from '../../src/config/yaml-source.js';

const TEXT = [
  'first: &args {cmd: one}', // line 1
  'use_first: *args', // line 2
  'again: &args', // line 3: the anchor is defined again
  '  cmd: two', // line 4
  'use_again: *args', // line 5
  'nested:',
  '  - &item {path: /a}', // line 7
  '  - *item',
  '  - list: &l [x, y]', // line 9
  '    of: *l',
  '',
].join('\n');

/** Line and column (1-based) of `word` on line `line` of TEXT. */
function at(line: number, word: string): { line: number; col: number } {
  const col = TEXT.split('\n')[line - 1]!.indexOf(word) + 1;
  assert.ok(col > 0, `${word} on line ${line}`);
  return { line, col };
}

test('a position through an alias is where the anchored value is written, as the yaml library resolves it', () => {
  const src = parseYaml(TEXT, '/tmp/aliases.yaml', []);
  const pos = (path: (string | number)[]) => {
    const p = posAt(src, path);
    return { line: p.line, col: p.col };
  };
  assert.deepEqual(pos(['use_first', 'cmd']), at(1, 'one'));
  assert.deepEqual(pos(['use_again', 'cmd']), at(4, 'two'));
  assert.deepEqual(pos(['nested', 1, 'path']), at(7, '/a'));
  assert.deepEqual(pos(['nested', 2, 'of', 1]), at(9, 'y'));
  // Every alias in the file: a path through it reaches into the node Alias.resolve() finds.
  let aliases = 0;
  visit(src.doc, {
    Alias(_key, node) {
      aliases++;
      const target = node.resolve(src.doc) as unknown as { items: ({ key: { value: string }; value: unknown } | unknown)[] };
      const first = target.items[0]!;
      const [step, inside] = isPair(first) ? [String((first.key as { value: unknown }).value), first.value] : [0, first];
      assert.equal(nodeAt(src, [...aliasPath(src, node), step]), inside);
    },
  });
  assert.equal(aliases, 4);
});

/** The data path of an alias node, found by looking for it from the top. */
function aliasPath(src: ReturnType<typeof parseYaml>, alias: unknown): (string | number)[] {
  const walk = (node: unknown, at: (string | number)[]): (string | number)[] | undefined => {
    if (node === alias) return at;
    const n = node as { items?: unknown[] };
    if (!n || !Array.isArray(n.items)) return undefined;
    for (const [i, item] of n.items.entries()) {
      const pair = item as { key?: { value?: unknown }; value?: unknown };
      const found = pair && typeof pair === 'object' && 'key' in pair ? walk(pair.value, [...at, String(pair.key?.value)]) : walk(item, [...at, i]);
      if (found) return found;
    }
    return undefined;
  };
  const found = walk(src.doc.contents, []);
  assert.ok(found && isAlias(alias));
  return found;
}
