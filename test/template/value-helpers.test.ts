// The helpers that convert, compare and take text apart: what each gives, and what a user sees
// when the values cannot work, at run time (real values), in the plan (placeholders for results)
// and when the template is compiled (what its text alone shows).
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { compileCondition, compileTemplate, isRuntimeValue, runtimeResult } from '../../src/template/index.js';
import { problemOf } from '../helpers/template.js';

function render(source: string, context: Record<string, unknown> = {}): string {
  return compileTemplate(source, 'text').render(context);
}

function cond(source: string, context: Record<string, unknown> = {}): unknown {
  return compileCondition(source).evaluate(context);
}

/** A registered result as a plan sees it: every field a placeholder. */
const planned = { load: runtimeResult('load') };

describe('conversions', () => {
  test('int reads numbers and strings holding one, and drops the fraction', () => {
    const ctx = { a: '42', b: ' 3.7\n', c: -2.9, d: '1e3', e: '+5' };
    assert.equal(render('{{int a}} {{int b}} {{int c}} {{int d}} {{int e}}', ctx), '42 3 -2 1000 5');
    assert.equal(cond('(lt (int a) 43)', ctx), true);
  });

  test('float reads numbers and strings holding one', () => {
    assert.equal(render('{{float a}} {{float b}} {{float c}}', { a: '0.42', b: '.5', c: 7 }), '0.42 0.5 7');
  });

  test('int and float name the value that holds no number', () => {
    for (const [source, value] of [
      ['{{int x}}', 'n/a'],
      ['{{float x}}', ''],
      ['{{int x}}', '0x1f'],
      ['{{float x}}', 'Infinity'],
    ] as const) {
      const p = problemOf(() => render(source, { x: value }));
      assert.equal(p.message, `${source.slice(2, -4).trim()}: ${JSON.stringify(value)} does not hold a number`, source);
      assert.match(p.hint ?? '', /decimal numbers/);
    }
    assert.equal(problemOf(() => render('{{int x}}', { x: [1] })).message, 'int: argument 1 must be a number, got a list');
    assert.equal(problemOf(() => render('{{float x}}', { x: true })).message, 'float: argument 1 must be a number, got true');
  });

  test('bool reads Ansible\'s yes/no words in any case, and booleans and 1/0', () => {
    const words = ['yes', 'Yes', 'on', 'true', 'TRUE', '1', 'y', 'no', 'off', 'false', '0', 'n', ' Off '];
    const ctx = Object.fromEntries(words.map((w, i) => [`w${i}`, w]));
    const source = words.map((_, i) => `{{bool w${i}}}`).join(' ');
    assert.equal(render(source, ctx), 'true true true true true true true false false false false false false');
    assert.equal(render('{{bool a}} {{bool b}} {{bool c}}', { a: true, b: 0, c: 1 }), 'true false true');
    assert.equal(cond('(bool flag)', { flag: 'no' }), false);
  });

  test('bool names a value that is no yes/no word', () => {
    const p = problemOf(() => render('{{bool x}}', { x: 'maybe' }));
    assert.equal(p.message, 'bool: "maybe" is not a yes/no value');
    assert.match(p.hint ?? '', /yes\/no/);
    assert.equal(problemOf(() => render('{{bool x}}', { x: 2 })).message, 'bool: 2 is not a yes/no value');
  });
});

describe('text helpers', () => {
  test('upper, lower and trim', () => {
    assert.equal(render('[{{upper a}}] [{{lower a}}] [{{trim b}}] [{{upper n}}]', { a: 'MiXed', b: '  x y \n', n: 5 }), '[MIXED] [mixed] [x y] [5]');
  });

  test('split gives a list, at a separator or at runs of whitespace', () => {
    assert.equal(render('{{json (split a ",")}} {{json (split b)}} {{json (split c)}}', { a: 'a,,b', b: ' one  two\nthree ', c: '  ' }), '["a","","b"] ["one","two","three"] []');
    assert.equal(render('{{join (split a ":") "/"}}', { a: 'x:y' }), 'x/y');
    assert.equal(problemOf(() => render('{{json (split a x)}}', { a: 'ab', x: '' })).message, 'split: the separator is empty');
  });

  test('length of a text, a list and a map', () => {
    assert.equal(render('{{length s}} {{length l}} {{length m}} {{length (split "a b c")}}', { s: 'héllo', l: [1, 2], m: { a: 1 } }), '5 2 1 3');
    assert.equal(problemOf(() => render('{{length n}}', { n: 5 })).message, 'length: argument 1 must be a text, a list or a map, got 5');
  });

  test('startswith, endswith and contains', () => {
    const ctx = { s: 'kube-apiserver', groups: ['control', 'etcd'], ports: { dlv: 2345 }, codes: [0, 1] };
    assert.equal(render('{{startswith s "kube-"}} {{startswith s "etcd"}} {{endswith s "server"}}', ctx), 'true false true');
    assert.equal(render('{{contains groups "etcd"}} {{contains groups "x"}} {{contains s "api"}} {{contains ports "dlv"}} {{contains codes "1"}}', ctx), 'true false true true true');
  });

  test('a list or a map where a text belongs is an error naming what it got', () => {
    const p = problemOf(() => render('{{upper l}}', { l: ['a'] }));
    assert.equal(p.message, 'upper: argument 1 must be a text, got a list');
    assert.equal(p.hint, 'usage: {{upper x}}');
    assert.equal(problemOf(() => render('{{startswith s m}}', { s: 'a', m: {} })).message, 'startswith: argument 2 must be a text, got a map');
  });
});

describe('regular expressions', () => {
  test('regex_search gives the match, a group by number or name, or null (so default applies)', () => {
    const ctx = { v: 'Kubernetes v1.20.2' };
    assert.equal(render('{{regex_search v "v[0-9.]+"}}', ctx), 'v1.20.2');
    assert.equal(render('{{regex_search v "v(\\d+)\\.(\\d+)" 2}}', ctx), '20');
    assert.equal(render('{{regex_search v "v(?P<major>\\d+)" "major"}} {{regex_search v "v(?<minor>\\d+)" "\\g<minor>"}} {{regex_search v "v(\\d)" "\\1"}}', ctx), '1 1 1');
    assert.equal(render('[{{regex_search v "nope"}}] [{{default (regex_search v "nope") "none"}}]', ctx), '[] [none]');
    assert.equal(render('{{regex_search v "(?i)KUBERNETES"}}', ctx), 'Kubernetes');
  });

  test('regex_replace replaces every match, with Python\'s group references; $ is plain text', () => {
    assert.equal(render('{{regex_replace s "(\\w+)=(\\w+)" "\\2=\\1"}}', { s: 'a=1 b=2' }), '1=a 2=b');
    assert.equal(render('{{regex_replace s "(?P<k>\\w+)=" "\\g<k>: $1 "}}', { s: 'a=1' }), 'a: $1 1');
    assert.equal(render('{{regex_replace s "\\s+" "\\n"}}', { s: 'a  b' }), 'a\nb');
  });

  test('regex_findall gives every match, or the groups (as Python does)', () => {
    const ctx = { s: 'k1=v1 k2=v2' };
    assert.equal(render('{{json (regex_findall s "k\\d")}} {{json (regex_findall s "k(\\d)")}} {{json (regex_findall s "(\\w+)=(\\w+)")}}', ctx), '["k1","k2"] ["1","2"] [["k1","v1"],["k2","v2"]]');
  });

  test('match is anchored at the start, search looks anywhere; both are conditions', () => {
    const ctx = { s: 'kube-proxy' };
    assert.equal(cond('(match s "kube")', ctx), true);
    assert.equal(cond('(match s "proxy")', ctx), false);
    assert.equal(cond('(search s "proxy")', ctx), true);
    assert.equal(cond('(search s "^proxy")', ctx), false);
    // A cached sticky pattern must not remember where it stopped.
    assert.equal(cond('(match s "kube")', ctx), true);
  });

  test('a pattern from a variable that does not compile is an error naming it', () => {
    const p = problemOf(() => render('{{regex_search s re}}', { s: 'x', re: 'a(b' }));
    assert.match(p.message, /^regular expression \/a\(b\/ does not compile: /);
    assert.match(p.hint ?? '', /JavaScript regular expressions/);
  });

  test('a group the pattern does not have is an error', () => {
    const p = problemOf(() => render('{{regex_replace s re "\\3"}}', { s: 'x', re: '(x)' }));
    assert.equal(p.message, 'no group 3 in the regular expression /(x)/: it has 1 group');
  });
});

describe('comparisons', () => {
  test('a number and a string holding a number compare as numbers (stdout "0.42" < 1)', () => {
    const ctx = { load: { stdout: '0.42', rc: 0 }, max_load: 1, count: '10' };
    assert.equal(cond('(lt load.stdout max_load)', ctx), true);
    assert.equal(cond('(gt load.stdout max_load)', ctx), false);
    assert.equal(cond('(le load.rc "0")', ctx), true);
    assert.equal(cond('(ge count 9)', ctx), true);
    assert.equal(cond('(eq load.rc "0")', ctx), true);
    assert.equal(cond('(ne load.rc "0.0")', ctx), false);
  });

  test('two strings that both hold numbers compare as numbers in lt/gt/le/ge ("10" > "9"), others as text', () => {
    assert.equal(cond('(gt a b)', { a: '10', b: '9' }), true);
    assert.equal(cond('(lt a b)', { a: 'apple', b: 'banana' }), true);
    assert.equal(cond('(lt a b)', { a: '10', b: 'banana' }), true);
    // eq keeps text equality between two strings: versions "1.20" and "1.2" differ.
    assert.equal(cond('(eq a b)', { a: '1.20', b: '1.2' }), false);
  });

  test('le and ge include equality', () => {
    assert.equal(render('{{le a 2}} {{le a 1}} {{ge a 2}} {{ge a 3}}', { a: 2 }), 'true false true false');
  });

  test('a string holding no number against a number fails at run time, naming both values', () => {
    const p = problemOf(() => cond('(lt load.stdout max_load)', { load: { stdout: 'high' }, max_load: 1 }));
    assert.equal(p.message, 'lt cannot compare "high" with 1: "high" does not hold a number');
    assert.match(p.hint ?? '', /a string that holds one/);
    const long = 'x'.repeat(200);
    assert.equal(problemOf(() => cond('(gt a 1)', { a: long })).message, 'gt cannot compare a string of 200 characters with 1: a string of 200 characters does not hold a number');
  });

  test('a list, a map, a boolean or null cannot be ordered', () => {
    for (const [value, shown] of [
      [[1], 'a list'],
      [{ a: 1 }, 'a map'],
      [true, 'true'],
      [null, 'null'],
    ] as const) {
      const p = problemOf(() => cond('(lt v 3)', { v: value }));
      assert.equal(p.message, `lt compares numbers or strings, got ${shown} and 3`);
      assert.match(p.hint ?? '', typeof value === 'object' && value !== null ? /\(length x\)/ : /\(eq x null\)/);
    }
  });

  test('eq and ne between unlike values answer false and true without failing', () => {
    assert.equal(render('{{eq port "auto"}} {{ne port "auto"}} {{eq m l}} {{eq n null}}', { port: 2345, m: {}, l: [], n: null }), 'false true false true');
  });
});

describe('default', () => {
  test('replaces a missing or null value; with true also an empty one, as Ansible\'s default(x, true)', () => {
    const t = compileTemplate('[{{default v "fb" true}}]', 'text');
    for (const empty of [undefined, null, '', 0, false, [], {}]) assert.equal(t.render({ v: empty }), '[fb]', JSON.stringify(empty));
    assert.equal(t.render({ v: 'set' }), '[set]');
    assert.equal(render('[{{default v "fb"}}]', { v: '' }), '[]');
    assert.equal(render('[{{default v "fb" false}}]', { v: '' }), '[]');
  });
});

describe('what the plan can tell while results are placeholders', () => {
  test('a call on a placeholder is a placeholder, of the kind the helper gives', () => {
    const v = cond('(lt (int load.stdout) 5)', planned);
    assert.ok(isRuntimeValue(v));
    assert.equal(String(v), '<lt(int(stdout of "load"), 5)>');
    assert.equal(render('{{upper load.stdout}}', planned), '<upper(stdout of "load")>');
  });

  test('a number read as a word, or a list ordered, is an error before anything runs', () => {
    assert.equal(problemOf(() => cond('(lt load.rc "high")', planned)).message, 'lt cannot compare <rc of "load"> with "high": "high" does not hold a number');
    assert.equal(problemOf(() => cond('(gt load.lines 3)', planned)).message, 'gt compares numbers or strings, got <lines of "load"> (a list) and 3');
    assert.equal(problemOf(() => cond('(lt load.failed 1)', planned)).message, 'lt compares numbers or strings, got <failed of "load"> (a boolean) and 1');
    assert.equal(problemOf(() => cond('(eq load.rc "ok")', planned)).message, 'eq compares <rc of "load">, a number, with "ok", which holds no number: it is always false');
    assert.equal(problemOf(() => render('{{upper load.lines}}', planned)).message, 'upper: argument 1 must be a text, got <lines of "load"> (a list)');
  });

  test('a value of the playbook that cannot compare with a result is an error before anything runs', () => {
    const p = problemOf(() => cond('(lt load.stdout limits)', { ...planned, limits: { max: 1 } }));
    assert.equal(p.message, 'lt compares numbers or strings, got <stdout of "load"> and a map');
  });

  test('what may work at run time is left to it', () => {
    for (const source of ['(lt load.stdout 1)', '(lt load.stdout "abc")', '(eq load.stdout 0)', '(lt load.value 3)', '(match load.stdout "x")', '(gt (length load.lines) 0)']) {
      assert.ok(isRuntimeValue(cond(source, planned)), source);
    }
  });
});

describe('what the template text alone shows cannot work is a compile error at the argument', () => {
  const compileProblem = (source: string) => problemOf(() => compileCondition(source));
  const cases: [string, string, number][] = [
    ['(lt "high" 5)', 'lt cannot compare "high" with 5: "high" does not hold a number', 5],
    ['(gt x "n/a")', '', 0],
    ['(lt (int x) "abc")', 'lt cannot compare <int(…)> with "abc": "abc" does not hold a number', 13],
    ['(lt (split x ",") 3)', 'lt compares numbers or strings, got <split(…)> (a list) and 3', 5],
    ['(eq (length x) "none")', 'eq compares <length(…)>, a number, with "none", which holds no number: it is always false', 16],
    ['(lt true 1)', 'lt compares numbers or strings, got true and 1', 5],
    ['(int "n/a")', 'int: "n/a" does not hold a number', 6],
    ['(bool "maybe")', 'bool: "maybe" is not a yes/no value', 7],
    ['(regex_search x "a[")', 'regular expression /a[/ does not compile: Unterminated character class', 17],
    ['(search x "(?x)a")', 'regular expression /(?x)a/: the inline flag "x" is not supported', 11],
    ['(regex_search x "(a)" 2)', 'no group 2 in the regular expression /(a)/: it has 1 group', 23],
    ['(regex_search x "(?<v>a)" "w")', 'no group "w" in the regular expression /(?<v>a)/: it has 1 group (named v)', 27],
    ['(eq (regex_replace x "(a)" "\\2") "")', 'no group 2 in the regular expression /(a)/: it has 1 group', 28],
    ['(upper (split x))', 'upper: argument 1 must be a text, got <split(…)> (a list)', 8],
    ['(join (upper x) ",")', '', 0],
  ];
  for (const [source, message, col] of cases) {
    test(source, () => {
      if (message === '') {
        // Variables alone say nothing yet: these compile.
        compileCondition(source);
        return;
      }
      const p = compileProblem(source);
      assert.equal(p.message, message);
      assert.deepEqual([p.line, p.col], [1, col]);
      assert.ok(p.hint, 'a hint');
    });
  }

  test('in a template, the position is inside the template text', () => {
    const p = problemOf(() => compileTemplate('echo {{#if (lt "a" 2)}}x{{/if}}', 'shell'));
    assert.deepEqual([p.line, p.col, p.message], [1, 16, 'lt cannot compare "a" with 2: "a" does not hold a number']);
  });
});

test('an infix >= or <= in a condition gets the ge / le helper as its hint', () => {
  try {
    compileCondition('load <= 3');
    assert.fail('compiled');
  } catch (e) {
    assert.equal((e as { problem: { hint: string } }).problem.hint, 'conditions are Handlebars expressions, with helpers instead of operators: write (le load 3)');
  }
});
