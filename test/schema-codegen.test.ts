import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { generate, generateValidators, TYPE_FILES, VALIDATORS_FILE } from '../scripts/schema-codegen.js';
import { REPO_ROOT } from './helpers/files.js';

// The schemas are the source of truth; these fail when someone edits a schema and forgets
// `npm run gen:schemas`, or edits the generated code by hand.
for (const [schemaFile, out] of Object.entries(TYPE_FILES)) {
  test(`${out} matches schemas/${schemaFile}`, async () => {
    const committed = readFileSync(path.join(REPO_ROOT, out), 'utf8');
    assert.equal(committed, await generate(schemaFile), `run \`npm run gen:schemas\`: ${out} has drifted from its schema`);
  });
}

test(`${VALIDATORS_FILE} matches the schemas`, () => {
  const committed = readFileSync(path.join(REPO_ROOT, VALIDATORS_FILE), 'utf8');
  assert.ok(committed === generateValidators(), 'run `npm run gen:schemas`: the precompiled validators have drifted');
});

test('every task kind of the schema has a registry entry and vice versa', async () => {
  const { KIND_NAMES } = await import('../src/tasks/registry.js');
  const schema = JSON.parse(readFileSync(path.join(REPO_ROOT, 'schemas/playbook.schema.json'), 'utf8'));
  const schemaKinds = Object.keys(schema.definitions.kinds.properties).sort();
  assert.deepEqual([...KIND_NAMES].sort(), schemaKinds);
  const oneOf = schema.definitions.task.oneOf.map((b: { required: string[] }) => b.required[0]).sort();
  assert.deepEqual(oneOf, schemaKinds, 'task.oneOf must list every kind exactly once');
});

test('every property in the schemas has a description (editors show them)', () => {
  type Node = Record<string, unknown>;
  const load = (f: string): Node => JSON.parse(readFileSync(path.join(REPO_ROOT, 'schemas', f), 'utf8')) as Node;
  const files: Record<string, Node> = {};
  for (const f of ['playbook.schema.json', 'inventory.schema.json', 'tasks.schema.json', 'vars.schema.json']) files[f] = load(f);
  // A property described only through a $ref counts when the target (followed to the end) has a description.
  const describedAt = (v: Node, file: string, depth = 0): boolean => {
    if (typeof v.description === 'string') return true;
    if (typeof v.$ref !== 'string' || depth > 5) return false;
    const [refFile, pointer = ''] = v.$ref.split('#');
    const target = refFile || file;
    let node: unknown = files[target];
    for (const seg of pointer.split('/').filter(Boolean)) node = (node as Node | undefined)?.[seg];
    return node !== undefined && describedAt(node as Node, target, depth + 1);
  };
  const missing: string[] = [];
  const walk = (node: unknown, file: string, where: string): void => {
    if (!node || typeof node !== 'object') return;
    const n = node as Node;
    if (n.properties && typeof n.properties === 'object') {
      for (const [k, v] of Object.entries(n.properties as Record<string, Node>)) {
        if (!describedAt(v, file)) missing.push(`${file}${where}.${k}`);
      }
    }
    for (const [k, v] of Object.entries(n)) if (typeof v === 'object') walk(v, file, `${where}/${k}`);
  };
  for (const [f, schema] of Object.entries(files)) walk(schema, f, '');
  assert.deepEqual(missing, []);
  assert.ok(Object.values(files).every((s) => typeof s.$id === 'string' && typeof s.description === 'string'));
});
