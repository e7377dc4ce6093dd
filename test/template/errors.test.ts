import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KplayError } from '../../src/errors.js';
import { compileCondition, compileTemplate, TemplateError, type TemplateMode } from '../../src/template/index.js';
import { problemOf } from '../helpers/template.js';

function renderProblem(source: string, context: Record<string, unknown>, mode: TemplateMode = 'shell'): TemplateError['problem'] {
  const t = compileTemplate(source, mode);
  return problemOf(() => t.render(context));
}

function compileProblem(source: string): TemplateError['problem'] {
  return problemOf(() => compileTemplate(source, 'shell'));
}

test('TemplateError is a KplayError with code E_TEMPLATE', () => {
  try {
    compileTemplate('echo {{x}}', 'shell').render({});
    assert.fail('expected an error');
  } catch (err) {
    assert.ok(err instanceof TemplateError);
    assert.ok(err instanceof KplayError);
    assert.ok(err instanceof Error);
    assert.equal(err.code, 'E_TEMPLATE');
    assert.equal(err.message, 'undefined variable "x"');
  }
});

test('a missing variable is an error naming it, at its position', () => {
  const p = renderProblem('kubectl apply -f {{manifset}}', { manifest: '/tmp/m.yaml' });
  assert.equal(p.message, 'undefined variable "manifset"');
  assert.deepEqual([p.line, p.col], [1, 20]);
  assert.equal(p.hint, 'did you mean "manifest"?');
});

test('the position of a missing variable on a later line', () => {
  const p = renderProblem('set -e\n  cp {{src}} {{dest}}\n', { src: 'a' });
  assert.equal(p.message, 'undefined variable "dest"');
  // "  cp {{src}} {{" is 15 characters, so dest starts in column 16.
  assert.deepEqual([p.line, p.col], [2, 16]);
});

test('a missing variable in text mode is an error too', () => {
  assert.equal(renderProblem('x={{x}}', {}, 'text').message, 'undefined variable "x"');
});

test('a missing nested key names the whole path and the key that is missing', () => {
  const p = renderProblem('ssh {{host.nmae}}', { host: { name: 'node-1' } });
  assert.equal(p.message, 'undefined variable "host.nmae"');
  assert.deepEqual([p.line, p.col], [1, 7]);
  assert.equal(p.hint, '"host" has no key "nmae"; did you mean "name"?');
});

test('a missing middle segment is a TemplateError, not a TypeError', () => {
  assert.equal(renderProblem('{{a.b.c}}', {}).message, 'undefined variable "a.b.c"');
  assert.equal(renderProblem('{{a.b.c}}', { a: {} }).message, 'undefined variable "a.b.c"');
  assert.equal(renderProblem('{{a.b.c}}', { a: { b: null } }).hint, '"a.b" is null');
  assert.equal(renderProblem('{{eq a.b.c 1}}', { a: 1 }).hint, '"a" is a number, which has no "b"');
});

test('missing helper arguments raise, except the first argument of default', () => {
  const p = renderProblem('{{eq missing "x"}}', {});
  assert.equal(p.message, 'undefined variable "missing"');
  assert.deepEqual([p.line, p.col], [1, 6]);
  assert.equal(renderProblem('{{quote (concat "a" nope)}}', {}).message, 'undefined variable "nope"');
  assert.equal(renderProblem('{{#if flag}}x{{/if}}', {}).message, 'undefined variable "flag"');
  assert.equal(renderProblem('{{default x missingFallback}}', {}).message, 'undefined variable "missingFallback"');
  assert.equal(compileTemplate('{{default missing "x"}}', 'shell').render({}), 'x');
});

test('missing variables inside #each bodies are reported at their position', () => {
  const p = renderProblem('{{#each hosts}}\nssh {{nmae}}\n{{/each}}', { hosts: [{ name: 'a' }] });
  assert.equal(p.message, 'undefined variable "nmae"');
  assert.deepEqual([p.line, p.col], [2, 7]);
  assert.equal(p.hint, 'did you mean "name"?');
  assert.equal(renderProblem('{{#each hosts as |h|}}{{h.port}}{{/each}}', { hosts: [{}] }).message, 'undefined variable "h.port"');
  assert.equal(renderProblem('{{#each hosts}}{{../nope}}{{/each}}', { hosts: [{}] }).message, 'undefined variable "../nope"');
  assert.equal(renderProblem('{{@nope}}', {}).message, 'undefined variable "@nope"');
});

test('unclosed {{ is a syntax error at the {{', () => {
  const p = compileProblem('echo {{name');
  assert.equal(p.message, 'template syntax error: unclosed {{');
  assert.deepEqual([p.line, p.col], [1, 6]);
  assert.match(p.hint ?? '', /\}\}/);
  const q = compileProblem('a\nb {{x}\nc');
  assert.equal(q.message, 'template syntax error: unclosed {{');
  assert.deepEqual([q.line, q.col], [2, 3]);
});

test('a block that is never closed is reported at its opening tag', () => {
  const p = compileProblem('set -e\n{{#if debug}}\necho on\n');
  assert.equal(p.message, 'template syntax error: {{#if}} is never closed');
  assert.equal(p.hint, 'add {{/if}} where the block ends');
  assert.deepEqual([p.line, p.col], [2, 1]);
  const q = compileProblem('{{#each a}}{{#if b}}x{{/if}}');
  assert.equal(q.message, 'template syntax error: {{#each}} is never closed');
});

test('a block closed by the wrong name', () => {
  const p = compileProblem('{{#if a}}x{{/unless}}');
  assert.equal(p.message, 'template syntax error: {{#if}} is closed by {{/unless}}');
  assert.deepEqual([p.line, p.col], [1, 4]);
});

test('other syntax errors are worded for people, without parser internals', () => {
  const cases: [string, RegExp, number, number][] = [
    ['ok\n  {{x y=}}', /unexpected \}\}/, 2, 9],
    ['{{}}', /empty \{\{ \}\}/, 1, 3],
    ['{{{x}}', /\{\{\{ must be closed with \}\}\}/, 1, 5],
    ['{{x}}}', /\}\}\} closes a mustache opened with \{\{/, 1, 4],
    ['{{join (concat a b}}', /unclosed \(/, 1, 8],
    ['{{x)}}', /unexpected \)/, 1, 4],
  ];
  for (const [source, message, line, col] of cases) {
    const p = compileProblem(source);
    assert.match(p.message, /^template syntax error: /, source);
    assert.match(p.message, message, source);
    assert.doesNotMatch(`${p.message} ${p.hint ?? ''}`, /Expecting|'ID'|got '/, source);
    assert.deepEqual([p.line, p.col], [line, col], source);
  }
});

test('helper arity is checked when the template is compiled', () => {
  const p = compileProblem('echo {{eq a}}');
  assert.equal(p.message, '"eq" takes 2 arguments, got 1');
  assert.deepEqual([p.line, p.col], [1, 8]);
  assert.equal(compileProblem('{{join}}').message, '"join" takes 1 or 2 arguments, got 0');
  assert.match(compileProblem('{{join}}').hint ?? '', /\{\{this\.join\}\}/);
  assert.equal(compileProblem('{{#if (and a)}}x{{/if}}').message, '"and" takes at least 2 arguments, got 1');
  assert.equal(compileProblem('{{#if}}x{{/if}}').message, '"if" takes 1 argument, got 0');
  assert.equal(compileProblem('{{#each a b}}x{{/each}}').message, '"each" takes 1 argument, got 2');
});

test('unknown helpers and misused ones are compile errors', () => {
  const p = compileProblem('{{quot x}}');
  assert.equal(p.message, 'unknown helper "quot"');
  assert.equal(p.hint, 'did you mean "quote"?');
  assert.deepEqual([p.line, p.col], [1, 3]);
  assert.equal(compileProblem('{{upper (lowercase x)}}').message, 'unknown helper "lowercase"');
  assert.equal(compileProblem('{{uppercase x}}').message, 'unknown helper "uppercase"');
  assert.equal(compileProblem('{{a.b c}}').message, '"a.b" is not a helper and cannot take arguments');
  assert.equal(compileProblem('{{#eq a b}}x{{/eq}}').message, '"eq" is not a block helper');
  assert.equal(compileProblem('{{if a}}').message, '"if" is a block helper');
  assert.equal(compileProblem('{{#if (if a)}}x{{/if}}').message, '"if" is a block helper and cannot be called in ( )');
  assert.equal(compileProblem('{{#foo}}x{{/foo}}').message, 'unknown block helper "foo"');
  assert.equal(compileProblem('{{join list sep=","}}').message, '"join" takes no named arguments (sep=)');
  assert.match(compileProblem('{{> partial}}').message, /partials/);
  assert.equal(compileProblem('{{__kplay "get" "x"}}').message, 'unknown helper "__kplay"');
  assert.match(compileProblem('{{#each xs as |quote|}}{{/each}}').message, /hides the helper/);
  assert.match(compileProblem('{{../x}}').message, /climbs above the top of the template/);
});

test('helpers report bad arguments with the call position', () => {
  const p = renderProblem('a\n{{args one}}', { one: 'x' });
  assert.equal(p.message, 'args takes a list, got a string');
  assert.deepEqual([p.line, p.col], [2, 3]);
  assert.equal(renderProblem('{{quote list}}', { list: [] }).message, 'quote takes a single value, got a list');
  assert.equal(renderProblem('{{join list}}', { list: [{}] }).message, 'join: item 1 is a map, not a single value');
});

test('conditions report syntax errors and missing variables at positions inside the expression', () => {
  const syntax = problemOf(() => compileCondition('(eq mode "x"'));
  assert.equal(syntax.message, 'condition syntax error: unclosed (');
  assert.deepEqual([syntax.line, syntax.col], [1, 1]);
  const missing = problemOf(() => compileCondition('(and enabled (eq mdoe "x"))').evaluate({ enabled: true, mode: 'x' }));
  assert.equal(missing.message, 'undefined variable "mdoe"');
  assert.deepEqual([missing.line, missing.col], [1, 18]);
  assert.equal(missing.hint, 'did you mean "mode"?');
  const arity = problemOf(() => compileCondition('(not)'));
  assert.deepEqual([arity.message, arity.line, arity.col], ['"not" takes 1 argument, got 0', 1, 2]);
  assert.match(problemOf(() => compileCondition('{{enabled}}')).message, /not a template/);
  assert.match(problemOf(() => compileCondition('  ')).message, /empty condition/);
  assert.match(problemOf(() => compileCondition('a b')).message, /single expression/);
});

test('an infix operator in a condition gets a hint with the helper to write, in the user\'s own words', () => {
  const hint = (source: string) => {
    try {
      compileCondition(source);
    } catch (e) {
      return (e as TemplateError).problem.hint;
    }
    assert.fail(`${source} compiled`);
  };
  assert.equal(hint('host.name == "node1"'), 'conditions are Handlebars expressions, with helpers instead of operators: write (eq host.name "node1")');
  assert.equal(hint('count >= 3'), 'conditions are Handlebars expressions, with helpers instead of operators: write (ge count 3)');
  assert.doesNotMatch(hint('a != b') ?? '', /__|\{\{|\}\}/);
});
