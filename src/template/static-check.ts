// What a template's own text shows cannot work, found when it is compiled (so by `kplay validate`
// and the plan, before any host is contacted): `(lt "high" 5)`, `(int "n/a")`, a pattern that
// does not compile, `(lt (split x ",") 3)`. Arguments that are variables stand as placeholders
// here, of the kind a helper's result always has where it has one.
import type { Expression, SourceLocation } from './ast.js';
import { ValueProblem } from './convert.js';
import { HELPERS } from './helpers.js';
import { RuntimeValue, typedRuntimeValue } from './runtime-value.js';
import { errorAt } from './template-error.js';
import { callValueHelper, VALUE_HELPERS } from './value-helpers.js';

function staticValue(e: Expression): unknown {
  switch (e.type) {
    case 'StringLiteral':
    case 'NumberLiteral':
    case 'BooleanLiteral':
      return e.value;
    case 'NullLiteral':
      return null;
    case 'SubExpression': {
      const name = e.path.type === 'PathExpression' ? e.path.original : '';
      return typedRuntimeValue(`${name}(…)`, Object.hasOwn(HELPERS, name) ? HELPERS[name]?.result : undefined);
    }
    case 'PathExpression':
      return new RuntimeValue(e.original);
    default:
      return new RuntimeValue('undefined');
  }
}

/** Throws a TemplateError at the argument to blame when a call of a value helper cannot work whatever the variables hold. */
export function checkCallArgs(name: string, params: readonly Expression[], loc: SourceLocation | undefined): void {
  if (!Object.hasOwn(VALUE_HELPERS, name)) return;
  try {
    callValueHelper(name, params.map(staticValue));
  } catch (err) {
    if (!(err instanceof ValueProblem)) throw err;
    const at = err.arg === undefined ? loc : (params[err.arg]?.loc ?? loc);
    throw errorAt(at, err.message, err.hint);
  }
}
