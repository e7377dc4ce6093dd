// kplay evaluates most templates itself (src/template/interpret.ts), #if and #unless blocks
// included, and leaves the rest to Handlebars. Each template here is rendered both ways, with
// several contexts, and must give the same text, or the same error, character for character:
// standalone block lines, {{else}} and {{else if}} chains, comments and Handlebars' idea of
// what #if holds for (0, '', [], {}, functions).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compileTemplate } from '../../src/template/index.js';
import { compileWithHandlebars } from '../../src/template/engine.js';
import { runtimeObject } from '../../src/template/index.js';

const TEMPLATES = [
  '{{#if a}}yes{{/if}}',
  '{{#if a}}yes{{else}}no{{/if}}',
  '{{#unless a}}off{{else}}on {{a}}{{/unless}}',
  '{{#if a}}A{{else if b}}B{{else}}neither{{/if}}',
  '{{#if (eq mode "static-pod")}}manifest {{a}}{{else}}unit{{/if}}',
  'x={{#if (and a b)}}{{a}}-{{b}}{{/if}};',
  // Standalone block lines lose their line break and indentation; inline ones keep everything.
  'first\n  {{#if a}}\n  inside {{a}}\n  {{else}}\n  other\n  {{/if}}\nlast\n',
  '{{#if a}}\n{{#unless b}}\nnested {{a}}\n{{/unless}}\n{{/if}}\ntail',
  'one {{! a comment }} two\n{{!-- a standalone comment --}}\nthree',
  'cd -- {{dir}}{{#if cmd}} && {{{cmd}}}{{else}} && make {{target}}{{/if}}',
  '{{#if list}}{{join list ","}}{{else}}none{{/if}}',
  '{{default a "fallback"}} {{#if (default b false)}}b{{/if}}',
  '{{#if missing_var}}x{{/if}}',
];

const CONTEXTS: Record<string, unknown>[] = [
  { a: 'x y', b: 'b', mode: 'static-pod', dir: '/src', cmd: 'make all', target: 'all', list: ['1', '2'] },
  { a: '', b: 0, mode: 'systemd', dir: '/src dir', cmd: '', target: 'kube-apiserver', list: [] },
  { a: 0, b: [], mode: 'static-pod', dir: '/', cmd: null, target: "it's", list: {} },
  { a: [0], b: {}, mode: null, dir: '.', cmd: undefined, target: 'x', list: ['a b'] },
  { a: false, b: 'NaN', mode: 'x', dir: 'd', target: 't', list: null },
  { a: runtimeObject('a'), b: runtimeObject('b'), mode: runtimeObject('mode'), dir: 'd', cmd: 'c', target: 't', list: ['z'] },
];

function outcome(render: () => string): string {
  try {
    return `text: ${render()}`;
  } catch (err) {
    return `error: ${(err as Error).message}`;
  }
}

for (const source of TEMPLATES) {
  test(`kplay's evaluator and Handlebars agree: ${JSON.stringify(source)}`, () => {
    for (const mode of ['shell', 'text'] as const) {
      const ours = compileTemplate(source, mode);
      const theirs = compileWithHandlebars(source, mode);
      assert.deepEqual(ours.references, theirs.references);
      CONTEXTS.forEach((context, i) => {
        assert.equal(outcome(() => ours.render(context)), outcome(() => theirs.render(context)), `${mode} mode, context ${i}`);
      });
    }
  });
}

test('block templates are evaluated by kplay, not compiled by Handlebars', () => {
  // The evaluator's renderer is not Handlebars' (whose render wraps a compiled template): a
  // template Handlebars alone must render (#each) still goes to it.
  const ifTemplate = compileTemplate('{{#if a}}x{{/if}}', 'text');
  const eachTemplate = compileTemplate('{{#each list}}{{this}}{{/each}}', 'text');
  assert.equal(ifTemplate.render({ a: 1 }), 'x');
  assert.equal(eachTemplate.render({ list: [1, 2] }), '12');
  assert.notEqual(ifTemplate.render.toString(), compileWithHandlebars('{{#if a}}x{{/if}}', 'text').render.toString());
  assert.equal(eachTemplate.render.toString(), compileWithHandlebars('{{#each list}}{{this}}{{/each}}', 'text').render.toString());
});
