import assert from 'node:assert/strict';
import { TemplateError } from '../../src/template/index.js';

/** The problem a TemplateError thrown by fn carries; fails the test when fn throws nothing or something else. */
export function problemOf(fn: () => unknown): TemplateError['problem'] {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof TemplateError, `expected a TemplateError, got ${String(err)}`);
    return err.problem;
  }
  assert.fail('expected a TemplateError');
}
