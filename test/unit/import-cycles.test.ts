// No module of src/ may import itself back, directly or through others: a cycle makes the load
// order decide which bindings are still undefined, and it says two layers have no clear owner.
// Type-only imports count too, since they tie the layers together just as much.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { REPO_ROOT } from '../helpers/files.js';

const SRC = path.join(REPO_ROOT, 'src');

/** Relative specifiers of a module's static imports and re-exports (`import type` included; `import()` not). */
export function staticImports(text: string): string[] {
  const found: string[] = [];
  const withFrom = /^\s*(?:import|export)\s[^'";]*?\sfrom\s*['"](\.{1,2}\/[^'"]+)['"]/gm;
  const bare = /^\s*import\s*['"](\.{1,2}\/[^'"]+)['"]/gm;
  for (const re of [withFrom, bare]) for (const m of text.matchAll(re)) found.push(m[1]!);
  return found;
}

/** The file an ESM specifier ("./x.js") names: its .ts source, or a .d.ts beside generated JavaScript. */
function resolve(from: string, spec: string): string | undefined {
  const target = path.resolve(path.dirname(from), spec);
  const stem = target.replace(/\.js$/, '');
  return [`${stem}.ts`, `${stem}.d.ts`, target].find((f) => existsSync(f));
}

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return sources(p);
    return /\.ts$/.test(e.name) ? [p] : [];
  });
}

/** Every cycle's modules, one list per strongly connected component (Tarjan), each in import order. */
export function findCycles(graph: Map<string, string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const cycles: string[][] = [];
  let next = 0;
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const scc: string[] = [];
    for (let w = stack.pop()!; ; w = stack.pop()!) {
      onStack.delete(w);
      scc.push(w);
      if (w === v) break;
    }
    if (scc.length > 1 || (graph.get(v) ?? []).includes(v)) cycles.push(cyclePath(graph, scc));
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return cycles;
}

/** One concrete loop through a component, start to start, for a message a person can follow. */
function cyclePath(graph: Map<string, string[]>, scc: string[]): string[] {
  const members = new Set(scc);
  const start = [...scc].sort()[0]!;
  // Breadth-first from start back to start, inside the component: the shortest loop.
  const prev = new Map<string, string>();
  const queue = [start];
  while (queue.length) {
    const v = queue.shift()!;
    for (const w of graph.get(v) ?? []) {
      if (!members.has(w)) continue;
      if (w === start) {
        const loop = [start];
        for (let u = v; u !== start; u = prev.get(u)!) loop.splice(1, 0, u);
        return [...loop, start];
      }
      if (!prev.has(w)) {
        prev.set(w, v);
        queue.push(w);
      }
    }
  }
  return [start, start];
}

describe('imports in src/', () => {
  test('no module imports itself back, through any chain of static imports', () => {
    const graph = new Map<string, string[]>();
    for (const file of sources(SRC)) {
      const rel = (f: string) => path.relative(SRC, f);
      const deps = staticImports(readFileSync(file, 'utf8')).map((s) => resolve(file, s) ?? assert.fail(`${rel(file)} imports ${s}, which does not exist`));
      graph.set(rel(file), [...new Set(deps.map(rel))]);
    }
    assert.ok(graph.size > 50, `found the sources (${graph.size} files)`);
    const cycles = findCycles(graph);
    assert.deepEqual(
      cycles.map((c) => c.join(' -> ')),
      [],
      'import cycles in src/; move what both sides need into a module of its own',
    );
  });

  test('the walker reads every form of static import and finds a cycle through several files', () => {
    const text = [
      `import { a } from './a.js';`,
      `import type { B } from '../b.js';`,
      `import {\n  c,\n  d,\n} from './c.js';`,
      `export { e } from './e.js';`,
      `export * from './f.js';`,
      `import './side-effect.js';`,
      `const lazy = await import('./lazy.js');`,
      `import pLimit from 'p-limit';`,
    ].join('\n');
    assert.deepEqual(staticImports(text).sort(), ['../b.js', './a.js', './c.js', './e.js', './f.js', './side-effect.js']);
    const graph = new Map([
      ['x', ['y']],
      ['y', ['z', 'w']],
      ['z', ['x']],
      ['w', []],
      ['self', ['self']],
    ]);
    assert.deepEqual(findCycles(graph).map((c) => c.join(' -> ')).sort(), ['self -> self', 'x -> y -> z -> x']);
  });
});
