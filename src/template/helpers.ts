import Handlebars from 'handlebars';
import { posix } from 'node:path';
import type { SourceLocation } from './ast.js';
import { emptyish, ValueProblem } from './convert.js';
import { block, inline, type HelperSpec } from './helper-spec.js';
import { isRuntimeValue, runtimeChild, RuntimeValue, typedRuntimeValue } from './runtime-value.js';
import { shellQuote } from './shell-quote.js';
import { didYouMean } from '../text/suggest.js';
import { errorAt } from './template-error.js';
import { callValueHelper, VALUE_HELPERS } from './value-helpers.js';
import { describeCall, kindOf, scalarText, truthy } from './values.js';

export type { HelperSpec } from './helper-spec.js';

/** The private Handlebars environment all kplay templates compile in; the global one is never touched. */
export const env = Handlebars.create();

/** Every helper a template may call, by name. */
export const HELPERS: Readonly<Record<string, HelperSpec>> = {
  quote: inline(1, 1, '{{quote value}}'),
  args: inline(1, 1, '{{args list}}'),
  join: inline(1, 2, '{{join list " "}}', 'string'),
  default: inline(2, 3, '{{default value fallback}}'),
  ...Object.fromEntries(Object.entries(VALUE_HELPERS).map(([name, h]) => [name, h.spec])),
  and: inline(2, Infinity, '(and a b ...)', 'boolean'),
  or: inline(2, Infinity, '(or a b ...)', 'boolean'),
  not: inline(1, 1, '(not a)', 'boolean'),
  json: inline(1, 1, '{{json value}}', 'string'),
  concat: inline(1, Infinity, '{{concat a b ...}}', 'string'),
  slice: inline(2, 3, '{{args (slice list 1)}}', 'list'),
  with_flag: inline(3, 3, '{{args (with_flag list "--name" "value")}}', 'list'),
  replace: inline(3, 3, '{{replace text "old" "new"}}', 'string'),
  basename: inline(1, 1, '{{basename path}}', 'string'),
  dirname: inline(1, 1, '{{dirname path}}', 'string'),
  lookup: inline(2, 2, '{{lookup map key}}'),
  if: block('{{#if cond}}...{{else}}...{{/if}}'),
  unless: block('{{#unless cond}}...{{/unless}}'),
  each: block('{{#each list}}...{{/each}}'),
  with: block('{{#with map}}...{{/with}}'),
};

/** Operations kplay's rewriting inserts; templates cannot call them by name. */
export const INTERNAL = {
  /** Strict variable read relative to the current context. */
  get: '__get',
  /** Tolerant variable read, for the first argument of `default`. */
  opt: '__opt',
  /** Fails on undefined, for paths Handlebars itself resolves (`@data`, `../`, block parameters). */
  check: '__chk',
  /** `{{x}}` in shell mode. */
  shell: '__shq',
  /** `{{{x}}}` in shell mode. */
  raw: '__raw',
  /** Both forms in text mode. */
  text: '__text',
  /** Captures a condition's value. */
  cond: '__cond',
  /** `lookup` in the first argument of `default`, where a missing key is fine. */
  lookupOpt: '__lookup_opt',
} as const;

/**
 * The one helper, besides the block helpers, that the environment registers: compiled
 * templates call every inline helper and internal operation as `(__kplay "op" ...args)`.
 */
export const DISPATCH = '__kplay';

/** Every helper name compiled code calls, so Handlebars calls them directly. */
export const KNOWN_HELPERS: Readonly<Record<string, boolean>> = Object.fromEntries(
  [DISPATCH, ...Object.keys(HELPERS).filter((name) => (HELPERS[name] as HelperSpec).block)].map((name) => [name, true]),
);

/** The box compileCondition() passes in Handlebars' data frame to get the value back out. */
export interface ConditionBox {
  value: unknown;
}

/** Key of the ConditionBox in the data frame. */
export const CONDITION_DATA_KEY = 'kplayCondition';

interface CallOptions {
  loc?: SourceLocation;
  data?: Record<string, unknown>;
  fn: (context: unknown, options?: Record<string, unknown>) => string;
}

type Impl = (this: unknown, args: unknown[], options: CallOptions) => unknown;

const OPS = new Map<string, Impl>();

function register(name: string, impl: Impl): void {
  OPS.set(name, impl);
}

// Handlebars re-wraps every helper registered on the environment at the start of every
// render, so that setup grows with the number of helpers and dominated the render time
// of a 15,000-render plan. One dispatcher keeps it constant: the analyzer has already
// checked each operation name at compile time.
env.registerHelper(DISPATCH, function (this: unknown, op: string, ...args: unknown[]) {
  const options = args.pop() as CallOptions;
  return (OPS.get(op) as Impl).call(this, args, options);
});
for (const unused of ['log', 'lookup', 'helperMissing', 'blockHelperMissing']) env.unregisterHelper(unused);

/**
 * An operation called outside Handlebars, for templates kplay renders itself (interpret.ts):
 * looked up, and given its options, once per place it is written, not at every render.
 */
export function boundOp(op: string, loc: SourceLocation | undefined): (self: unknown, args: unknown[]) => unknown {
  const impl = OPS.get(op) as Impl;
  const options: CallOptions = { loc, fn: () => '' };
  return (self, args) => impl.call(self, args, options);
}

function fail(options: CallOptions, message: string, hint?: string): never {
  throw errorAt(options.loc, message, hint);
}

function safe(s: string): Handlebars.SafeString {
  return new env.SafeString(s);
}

// A call whose answer depends on a runtime value is itself a runtime value: dry-run
// previews show what would be computed instead of failing on a placeholder.
function lift(name: string, args: readonly unknown[]): RuntimeValue | undefined {
  return args.some(isRuntimeValue) ? typedRuntimeValue(describeCall(name, args), HELPERS[name]?.result) : undefined;
}

function keysOf(v: unknown): string[] {
  return v !== null && typeof v === 'object' && !isRuntimeValue(v) ? Object.keys(v) : [];
}

function missing(keys: readonly string[], i: number, parent: unknown, options: CallOptions): never {
  const name = keys.join('.');
  const key = keys[i] as string;
  const owner = keys.slice(0, i).join('.');
  let hint: string | undefined;
  if (i === 0) {
    hint = didYouMean(key, keysOf(parent)) ?? `define "${key}" under vars (playbook, inventory, group or host), or pass -e ${key}=VALUE`;
  } else if (parent === null || parent === undefined) {
    hint = `"${owner}" is ${kindOf(parent)}`;
  } else if (typeof parent !== 'object') {
    hint = `"${owner}" is ${kindOf(parent)}, which has no "${key}"`;
  } else if (Object.hasOwn(parent, key)) {
    hint = `"${name}" is set but undefined`;
  } else {
    const suggestion = didYouMean(key, keysOf(parent));
    hint = `"${owner}" has no key "${key}"${suggestion === undefined ? '' : `; ${suggestion}`}`;
  }
  fail(options, `undefined variable "${name}"`, hint);
}

// Own properties only: inherited names (constructor, __proto__, toString) are never
// template data, and reading them is how template injection reaches code.
function resolve(self: unknown, keys: readonly string[], options: CallOptions, optional: boolean): unknown {
  let value = self;
  for (let i = 0; i < keys.length; i++) {
    if (isRuntimeValue(value)) return runtimeChild(value, keys.slice(i));
    const key = keys[i] as string;
    const parent = value;
    if (parent === null || parent === undefined || !Object.hasOwn(parent as object, key)) {
      return optional ? undefined : missing(keys, i, parent, options);
    }
    value = (parent as Record<string, unknown>)[key];
    if (value === undefined) return optional ? undefined : missing(keys, i, parent, options);
  }
  return value;
}

register(INTERNAL.get, function (args, options) {
  return resolve(this, args as string[], options, false);
});

register(INTERNAL.opt, function (args, options) {
  return resolve(this, args as string[], options, true);
});

register(INTERNAL.check, (args, options) => {
  const [value, name] = args;
  if (value === undefined) fail(options, `undefined variable "${String(name)}"`);
  return value;
});

function notInsertable(v: unknown, label: unknown, options: CallOptions, where: string): never {
  if (v === undefined) {
    fail(options, 'this expression has no value', 'wrap it in {{default ... fallback}} if it may be missing');
  }
  const x = typeof label === 'string' ? label : 'x';
  const what = typeof label === 'string' ? `"${label}" (${kindOf(v)})` : kindOf(v);
  fail(options, `cannot insert ${what} into ${where}`, `use {{args ${x}}} (one word per item), {{join ${x} " "}} or {{json ${x}}}`);
}

register(INTERNAL.shell, (args, options) => {
  const [v, label] = args;
  if (v instanceof env.SafeString || isRuntimeValue(v)) return v.toString();
  const text = scalarText(v);
  return text !== undefined ? shellQuote(text) : notInsertable(v, label, options, 'a shell command');
});

register(INTERNAL.raw, (args, options) => {
  const [v, label] = args;
  if (v instanceof env.SafeString || isRuntimeValue(v)) return v.toString();
  return scalarText(v) ?? notInsertable(v, label, options, 'a shell command');
});

register(INTERNAL.text, (args, options) => {
  const [v] = args;
  if (v instanceof env.SafeString || isRuntimeValue(v)) return v.toString();
  if (v === undefined) fail(options, 'this expression has no value', 'wrap it in {{default ... fallback}} if it may be missing');
  return scalarText(v) ?? JSON.stringify(v);
});

register(INTERNAL.cond, (args, options) => {
  const box = options.data?.[CONDITION_DATA_KEY] as ConditionBox | undefined;
  if (box) box.value = args[0];
  return '';
});

register('quote', (args, options) => {
  const [v] = args;
  const rv = lift('quote', args);
  if (rv) return rv;
  const text = scalarText(v);
  if (text === undefined) {
    fail(options, `quote takes a single value, got ${kindOf(v)}`, 'use {{args x}} to quote each item of a list');
  }
  return safe(shellQuote(text));
});

register('args', (args, options) => {
  const [list] = args;
  const rv = lift('args', args);
  if (rv) return rv;
  if (!Array.isArray(list)) fail(options, `args takes a list, got ${kindOf(list)}`, 'use {{quote x}} for a single value');
  const words = list.map((item: unknown, i) => {
    if (isRuntimeValue(item)) return item.toString();
    const text = scalarText(item);
    if (text === undefined) fail(options, `args: item ${i + 1} is ${kindOf(item)}, not a single value`);
    return shellQuote(text);
  });
  return safe(words.join(' '));
});

register('join', (args, options) => {
  const [list, sep = ' '] = args;
  if (args.some(isRuntimeValue) || (Array.isArray(list) && list.some(isRuntimeValue))) {
    return new RuntimeValue(describeCall('join', args));
  }
  if (!Array.isArray(list)) fail(options, `join takes a list, got ${kindOf(list)}`);
  const separator = scalarText(sep);
  if (separator === undefined) fail(options, `join: the separator is ${kindOf(sep)}, not text`);
  return list
    .map((item: unknown, i) => scalarText(item) ?? fail(options, `join: item ${i + 1} is ${kindOf(item)}, not a single value`))
    .join(separator);
});

// As Ansible's default: the fallback replaces a missing value (and null, which is how YAML
// writes "no value"); with a third argument `true`, also an empty one ("", 0, false, [], {}),
// as Ansible's default(x, true).
register('default', (args) => {
  const [v, fallback, orEmpty] = args;
  const rv = lift('default', args);
  if (rv) return rv;
  return v === undefined || v === null || (orEmpty === true && emptyish(v)) ? fallback : v;
});

for (const name of Object.keys(VALUE_HELPERS)) {
  register(name, (args, options) => {
    try {
      return callValueHelper(name, args);
    } catch (err) {
      if (err instanceof ValueProblem) fail(options, err.message, err.hint);
      throw err;
    }
  });
}

// A value known to be false (or true, for `or`) decides the answer even when another
// argument is only known at run time.
register('and', (args) => {
  if (args.some((v) => !isRuntimeValue(v) && !truthy(v))) return false;
  return lift('and', args) ?? true;
});

register('or', (args) => {
  if (args.some((v) => !isRuntimeValue(v) && truthy(v))) return true;
  return lift('or', args) ?? false;
});

register('not', (args) => lift('not', args) ?? !truthy(args[0]));

register('json', (args, options) => {
  const rv = lift('json', args);
  if (rv) return rv;
  if (args[0] === undefined) fail(options, 'json got no value');
  return JSON.stringify(args[0]);
});

register('concat', (args, options) => {
  const rv = lift('concat', args);
  if (rv) return rv;
  return args
    .map((v, i) => scalarText(v) ?? fail(options, `concat: argument ${i + 1} is ${kindOf(v)}, not a single value`, 'use {{join list ""}} for a list'))
    .join('');
});

register('slice', (args, options) => {
  const rv = lift('slice', args);
  if (rv) return rv;
  const [list, start, end] = args;
  if (!Array.isArray(list)) fail(options, `slice takes a list, got ${kindOf(list)}`);
  for (const n of [start, end]) {
    if (n !== undefined && !Number.isInteger(n)) fail(options, `slice: positions are whole numbers, got ${kindOf(n)}`);
  }
  return list.slice(start as number, end as number | undefined);
});

// A command line with one flag set: every --name and --name=... is dropped (with the value
// word after a bare --name), then --name=value appended; for flags like --leader-elect=false.
register('with_flag', (args, options) => {
  const rv = lift('with_flag', args);
  if (rv) return rv;
  const [list, name, value] = args;
  if (!Array.isArray(list)) fail(options, `with_flag takes a list, got ${kindOf(list)}`);
  const flag = scalarText(name);
  const val = scalarText(value);
  if (flag === undefined || !flag.startsWith('-')) fail(options, `with_flag: the flag name must start with "-", got ${kindOf(name)}`);
  if (val === undefined) fail(options, `with_flag: the value is ${kindOf(value)}, not a single value`);
  const out: unknown[] = [];
  for (let i = 0; i < list.length; i++) {
    const item = scalarText(list[i]);
    if (item === flag) {
      // A bare boolean flag is followed by another flag, a valued one by its value.
      if (i + 1 < list.length && !String(scalarText(list[i + 1]) ?? '').startsWith('-')) i++;
      continue;
    }
    if (item !== undefined && item.startsWith(`${flag}=`)) continue;
    out.push(list[i]);
  }
  out.push(`${flag}=${val}`);
  return out;
});

register('replace', (args, options) => {
  const rv = lift('replace', args);
  if (rv) return rv;
  const [text, from, to] = args.map(scalarText);
  if (text === undefined || from === undefined || to === undefined || from === '') {
    fail(options, 'replace takes a text, a non-empty text to find and its replacement');
  }
  return text.split(from).join(to);
});

function pathHelper(name: string, op: (p: string) => string): void {
  register(name, (args, options) => {
    const rv = lift(name, args);
    if (rv) return rv;
    const text = scalarText(args[0]);
    if (text === undefined) fail(options, `${name} takes a path, got ${kindOf(args[0])}`);
    return op(text);
  });
}

// Remote hosts are POSIX whatever kplay itself runs on.
pathHelper('basename', posix.basename);
pathHelper('dirname', posix.dirname);

function lookup(args: unknown[], options: CallOptions, optional: boolean): unknown {
  const [map, key] = args;
  if (isRuntimeValue(key)) return new RuntimeValue(describeCall('lookup', args));
  const k = scalarText(key);
  if (k === undefined || key === null) return fail(options, `lookup: the key is ${kindOf(key)}, not a name or index`);
  if (isRuntimeValue(map)) return runtimeChild(map, [k]);
  if (map !== null && map !== undefined && Object.hasOwn(map as object, k)) {
    const value = (map as Record<string, unknown>)[k];
    if (value !== undefined || optional) return value;
  }
  if (optional) return undefined;
  const suggestion = didYouMean(k, keysOf(map));
  return fail(
    options,
    `lookup found no key "${k}" in ${kindOf(map)}`,
    suggestion ?? 'use (default (lookup map key) fallback) when the key may be missing',
  );
}

register('lookup', (args, options) => lookup(args, options, false));
register(INTERNAL.lookupOpt, (args, options) => lookup(args, options, true));

// Handlebars' own #each would iterate over the proxy's internals; a runtime list is
// previewed as one placeholder item instead.
const builtinEach = env.helpers['each'] as Handlebars.HelperDelegate;
env.registerHelper('each', function (this: unknown, list: unknown, options: CallOptions) {
  if (!isRuntimeValue(list)) return builtinEach.call(this, list, options);
  const item = runtimeChild(list, ['[*]']);
  const index = new RuntimeValue(`index in ${list.label}`);
  const data: Record<string, unknown> = env.createFrame(options.data ?? {});
  Object.assign(data, { index, key: index, first: true, last: true });
  return options.fn(item, { data, blockParams: [item, index] });
});
