// Generates code from schemas/*.json, which stay the source of truth: the TypeScript types of
// playbooks and inventories, and the precompiled ajv validators (compiling the schemas at start-up
// costs ~200 ms, more than all the rest of `kplay validate`). `npm run gen:schemas` rewrites the
// files; test/schema-codegen.test.ts fails when the committed files differ from what the schemas produce.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import AjvModule from 'ajv';
import standaloneModule from 'ajv/dist/standalone/index.js';
import { compile } from 'json-schema-to-typescript';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const schemaDir = path.join(root, 'schemas');

/** Generated type files, by schema file name. */
export const TYPE_FILES: Record<string, string> = {
  'playbook.schema.json': 'src/config/playbook.generated.ts',
  'inventory.schema.json': 'src/config/inventory.generated.ts',
};

/** The generated validators module (plain JS, with a hand-written .d.ts beside it). */
export const VALIDATORS_FILE = 'src/config/schema-validators.generated.js';

/** Validator exports, by schema file name; schema-check.ts imports these names. */
const VALIDATOR_EXPORTS = { playbook: 'playbook.schema.json', tasks: 'tasks.schema.json', inventory: 'inventory.schema.json', vars: 'vars.schema.json' };

/** The validators module: every schema compiled once, here, instead of at each start. */
export function generateValidators(): string {
  const Ajv = AjvModule.default;
  // verbose: errors carry their schema and data, which the messages need.
  const ajv = new Ajv({
    allErrors: true,
    verbose: true,
    strict: true,
    strictRequired: false,
    allowUnionTypes: true,
    code: { source: true, esm: true, lines: false },
  });
  // errorMessage is the message editors (yaml-language-server) show too; for ajv it is metadata.
  ajv.addKeyword({ keyword: 'errorMessage', schemaType: 'string' });
  for (const file of Object.values(VALIDATOR_EXPORTS)) ajv.addSchema(JSON.parse(readFileSync(path.join(schemaDir, file), 'utf8')) as Json);
  const refs = Object.fromEntries(Object.entries(VALIDATOR_EXPORTS).map(([name, file]) => [name, `https://kplay.dev/schemas/${file}`]));
  // ajv's "esm" output still require()s its runtime helpers; ESM can import those CommonJS modules.
  let n = 0;
  const imports: string[] = [];
  const code = standaloneModule.default(ajv, refs).replace(/require\("(ajv\/dist\/runtime\/[\w-]+)"\)/g, (_m, mod: string) => {
    imports.push(`import runtime${n} from '${mod}.js';`);
    return `runtime${n++}`;
  });
  if (code.includes('require(')) throw new Error('generated validators still call require(); extend the rewrite above');
  return `// Generated from schemas/*.json by scripts/schema-codegen.ts: do not edit; run \`npm run gen:schemas\`.\n${imports.join('\n')}\n${code}\n`;
}

type Json = { [k: string]: unknown };

// A `oneOf` whose branches only say which key is required ("exactly one kind") constrains values
// but adds no shape; json-schema-to-typescript would turn it into a tangle of intersections.
function dropRequiredOnlyOneOf(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(dropRequiredOnlyOneOf);
  if (!node || typeof node !== 'object') return node;
  const out: Json = {};
  for (const [k, v] of Object.entries(node as Json)) {
    const requiredOnly =
      k === 'oneOf' && Array.isArray(v) && v.every((b) => b && typeof b === 'object' && Object.keys(b).join() === 'required');
    if (!requiredOnly) out[k] = dropRequiredOnlyOneOf(v);
  }
  return out;
}

// Refs into another schema file ("playbook.schema.json#/definitions/vars") are copied into this
// schema's definitions, so the generator needs no resolver and emits each type once per file.
function inlineExternalRefs(schema: Json): Json {
  const added: Json = {};
  const walk = (node: unknown, foreign?: string): unknown => {
    if (Array.isArray(node)) return node.map((n) => walk(n, foreign));
    if (!node || typeof node !== 'object') return node;
    const out: Json = {};
    for (const [k, v] of Object.entries(node as Json)) {
      const ref = k === '$ref' && typeof v === 'string' && foreign && v.startsWith('#') ? foreign + v : v;
      const m = k === '$ref' && typeof ref === 'string' ? /^([\w.-]+\.json)#\/definitions\/(\w+)$/.exec(ref) : null;
      if (m) {
        const [, file, name] = m as unknown as [string, string, string];
        if (!(name in added)) {
          added[name] = {};
          const other = JSON.parse(readFileSync(path.join(schemaDir, file), 'utf8')) as { definitions: Json };
          added[name] = walk(other.definitions[name], file);
        }
        out[k] = `#/definitions/${name}`;
      } else {
        out[k] = walk(v, foreign);
      }
    }
    return out;
  };
  const result = walk(schema) as Json;
  result.definitions = { ...added, ...(result.definitions as Json) };
  return result;
}

/** The TypeScript source that a schema file produces. */
export async function generate(schemaFile: string): Promise<string> {
  const raw = JSON.parse(readFileSync(path.join(schemaDir, schemaFile), 'utf8')) as Json;
  const schema = inlineExternalRefs(dropRequiredOnlyOneOf(raw) as Json);
  return compile(schema as never, String(schema.title), {
    additionalProperties: false,
    bannerComment: `// Generated from schemas/${schemaFile} by scripts/schema-codegen.ts: do not edit; run \`npm run gen:schemas\`.`,
    style: { singleQuote: true, printWidth: 120 },
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  for (const [schemaFile, out] of Object.entries(TYPE_FILES)) {
    writeFileSync(path.join(root, out), await generate(schemaFile));
    console.log(`wrote ${out}`);
  }
  writeFileSync(path.join(root, VALIDATORS_FILE), generateValidators());
  console.log(`wrote ${VALIDATORS_FILE}`);
}
