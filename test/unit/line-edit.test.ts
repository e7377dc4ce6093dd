// lineinfile's editing on text, case by case as Ansible's lineinfile module behaves, and the
// regular-expression dialect checks (what JavaScript reads differently from Python is refused).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { compileRegexp, editLines, regexpProblem } from '../../src/tasks/line-edit.js';
import type { LineEdit } from '../../src/tasks/line-edit.js';

const CONF = 'a=1\n# port=80\nport=8080\nb=2\n';

/** Each case: the text, the arguments, the text after and the message. */
const CASES: [string, string, LineEdit, string, string][] = [
  ['regexp: the last matching line is replaced', 'port=1\nx\nport=2\n', { regexp: '^port=', line: 'port=9' }, 'port=1\nx\nport=9\n', 'line replaced'],
  ['regexp matching the line as wanted: unchanged', CONF, { regexp: '^port=', line: 'port=8080' }, CONF, 'line already as wanted'],
  ['no regexp match, the line is elsewhere already: unchanged', CONF, { regexp: '^nomatch', line: 'b=2' }, CONF, 'line already as wanted'],
  ['no match: appended at the end', CONF, { regexp: '^c=', line: 'c=3' }, `${CONF}c=3\n`, 'line added'],
  ['a last line without newline gets one first', 'a=1', { line: 'b=2' }, 'a=1\nb=2\n', 'line added'],
  ['an empty file', '', { line: 'x' }, 'x\n', 'line added'],
  ['insertafter: after the last line it matches', 'a\n[s]\nb\n[s]\nc\n', { line: 'new', insertafter: '^\\[s\\]' }, 'a\n[s]\nb\n[s]\nnew\nc\n', 'line added'],
  ['insertafter matching nothing: at the end', 'a\n', { line: 'new', insertafter: '^zzz' }, 'a\nnew\n', 'line added'],
  ['insertafter: EOF', 'a\n', { line: 'new', insertafter: 'EOF' }, 'a\nnew\n', 'line added'],
  ['insertbefore: before the last line it matches', 'a\nb\n', { line: 'new', insertbefore: '^b' }, 'a\nnew\nb\n', 'line added'],
  ['insertbefore: BOF', 'a\nb\n', { line: 'new', insertbefore: 'BOF' }, 'new\na\nb\n', 'line added'],
  ['regexp matched: insertafter is not used', 'x=1\nmark\n', { regexp: '^x=', line: 'x=2', insertafter: '^mark' }, 'x=2\nmark\n', 'line replaced'],
  ['backrefs: groups by number and name', 'port = 80\n', { regexp: '^(?<k>port) = (\\d+)$', line: '\\g<k>=1\\2', backrefs: true }, 'port=180\n', 'line replaced'],
  ['backrefs with no match: the file is left as it is', 'a\n', { regexp: '^zz(.)', line: '\\1', backrefs: true }, 'a\n', 'line already as wanted'],
  ['CRLF lines keep their ending', 'a=1\r\nb=2\r\n', { regexp: '^a=', line: 'a=5' }, 'a=5\r\nb=2\r\n', 'line replaced'],
  ['absent with regexp removes every matching line', 'k=1\nx\nk=2\n', { regexp: '^k=', state: 'absent' }, 'x\n', '2 lines removed'],
  ['absent with line removes the exact lines', 'k=1\nx\nk=1\n', { line: 'x', state: 'absent' }, 'k=1\nk=1\n', '1 line removed'],
  ['absent matching nothing', 'a\n', { regexp: '^z', state: 'absent' }, 'a\n', 'no line matched'],
  ['leading (?i) becomes the i flag', 'PORT=1\n', { regexp: '(?i)^port=', line: 'port=2' }, 'port=2\n', 'line replaced'],
];

describe('editLines, as Ansible edits', () => {
  for (const [name, text, args, after, message] of CASES) {
    test(name, () => {
      const r = editLines(text, args);
      assert.equal(r.text, after);
      assert.equal(r.message, message);
      assert.equal(r.changed, after !== text);
      // Idempotent: the edited text, edited again, stays as it is.
      if (args.state !== 'absent' || r.changed) assert.equal(editLines(r.text, args).changed, false);
    });
  }

  test('a backreference to a group regexp does not have fails', () => {
    assert.throws(() => editLines('ab\n', { regexp: '^(a)b', line: '\\2', backrefs: true }), /line: \\2 names no group of regexp/);
  });
});

describe('regular expressions: JavaScript syntax, with what Python writes differently named', () => {
  test('a pattern that compiles', () => {
    assert.equal(regexpProblem('^port\\s*=\\s*(\\d+)$'), undefined);
    assert.ok(compileRegexp('a\\.b') instanceof RegExp);
  });
  const BAD: [string, RegExp][] = [
    ['a(b', /Unterminated group/],
    ['^(?P<name>x)', /Python's \(\?P<name>\.\.\.\) is written \(\?<name>\.\.\.\) in JavaScript/],
    ['\\Afoo', /\\A is no JavaScript escape: JavaScript would read it as the letter A \(write \^\)/],
    ['foo\\Z', /\\Z is no JavaScript escape.*\(write \$\)/],
    ['(?>ab)c', /no atomic groups/],
    ['a(?i)b', /inline flags only as \(\?i\), \(\?m\) or \(\?s\) at the very start/],
  ];
  for (const [pattern, why] of BAD) {
    test(`refused: ${pattern}`, () => {
      const p = regexpProblem(pattern);
      assert.ok(p, `${pattern} is refused`);
      assert.match(p, why);
      assert.match(p, /kplay reads JavaScript's syntax/);
    });
  }
  test('an escaped backslash before a letter is no escape of the letter', () => {
    assert.equal(regexpProblem('C:\\\\Apps'), undefined);
  });
});
