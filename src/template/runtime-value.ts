import type { ValueKind } from './value-kind.js';

/** A value known only at run time (e.g. the stdout of an earlier task) during a dry-run plan. */
export class RuntimeValue {
  constructor(readonly label: string) {}

  /** The placeholder shown in previews. */
  toString(): string {
    return `<${this.label}>`;
  }

  /** Keeps `{{json x}}` previews readable when x holds runtime values. */
  toJSON(): string {
    return this.toString();
  }
}

/** True for RuntimeValue placeholders, including the nested-access proxies runtimeResult() hands out. */
export function isRuntimeValue(v: unknown): v is RuntimeValue {
  return v instanceof RuntimeValue;
}

// What kind of value a placeholder will be, where that is known (`rc` is a number): kept
// outside the object, like `fields` below, so no property name is taken from user paths.
const kinds = new WeakMap<RuntimeValue, ValueKind>();

/** A placeholder whose value will be of this kind, such as the result of `(int x)` in a preview. */
export function typedRuntimeValue(label: string, kind: ValueKind | undefined): RuntimeValue {
  const rv = new RuntimeValue(label);
  if (kind !== undefined) kinds.set(rv, kind);
  return rv;
}

/** The kind a placeholder's value will have, when it is known before the run. */
export function runtimeKind(rv: RuntimeValue): ValueKind | undefined {
  return kinds.get(rv);
}

interface FieldOf {
  field: string;
  /** The task whose result this is; absent for values that come from elsewhere (a host's facts). */
  task?: string;
}

// Which task field a proxy stands for; kept outside the object so that no property name
// is taken away from the user's own paths.
const fields = new WeakMap<RuntimeValue, FieldOf>();

function joinField(field: string, keys: readonly string[]): string {
  return field + keys.map((k) => (k.startsWith('[') ? k : `.${k}`)).join('');
}

// Handlebars reads a property with `obj[key]` and then trusts it only if
// Object.prototype.hasOwnProperty says it is own, and strict lookups use `key in obj`; the
// get, getOwnPropertyDescriptor and has traps answer all three for any string key.
function fieldProxy(field: string, task: string | undefined, kind?: ValueKind): RuntimeValue {
  const target = new RuntimeValue(task === undefined ? field : `${field} of ${JSON.stringify(task)}`);
  // Names the placeholder itself needs (label, toString, toJSON, Object.prototype) keep
  // their meaning; everything else is a nested field.
  const reserved = (key: string | symbol): boolean => typeof key === 'symbol' || key in target;
  const proxy = new Proxy(target, {
    get(t, key, receiver) {
      return reserved(key) ? Reflect.get(t, key, receiver) : fieldProxy(joinField(field, [key as string]), task);
    },
    has(t, key) {
      return typeof key === 'string' || Reflect.has(t, key);
    },
    getOwnPropertyDescriptor(t, key) {
      if (reserved(key)) return Reflect.getOwnPropertyDescriptor(t, key);
      // configurable: true is required by the Proxy invariants for a property the target lacks.
      return { value: fieldProxy(joinField(field, [key as string]), task), writable: false, enumerable: true, configurable: true };
    },
  });
  fields.set(proxy, { field, task });
  if (kind !== undefined) kinds.set(proxy, kind);
  return proxy;
}

/** Placeholder for a registered task result in plan mode: stdout, stderr, rc, lines, value, all RuntimeValues. */
export function runtimeResult(taskName: string): Record<string, unknown> {
  return {
    stdout: fieldProxy('stdout', taskName, 'string'),
    stderr: fieldProxy('stderr', taskName, 'string'),
    rc: fieldProxy('rc', taskName, 'number'),
    lines: fieldProxy('lines', taskName, 'list'),
    value: fieldProxy('value', taskName),
    failed: fieldProxy('failed', taskName, 'boolean'),
    changed: fieldProxy('changed', taskName, 'boolean'),
    skipped: fieldProxy('skipped', taskName, 'boolean'),
  };
}

/** A placeholder for an object whose fields are all unknown until run time, labelled by path (`host.name`). */
export function runtimeObject(name: string): RuntimeValue {
  return fieldProxy(name, undefined);
}

/** Like runtimeObject, for a value whose kind is known before the run (a loop's results are a list). */
export function runtimeOfKind(name: string, kind: ValueKind): RuntimeValue {
  return fieldProxy(name, undefined, kind);
}

/** The placeholder for `rv.k1.k2...`, labelled with the full path when rv came from runtimeResult(). */
export function runtimeChild(rv: RuntimeValue, keys: readonly string[]): RuntimeValue {
  if (keys.length === 0) return rv;
  const f = fields.get(rv);
  return f ? fieldProxy(joinField(f.field, keys), f.task) : new RuntimeValue(joinField(rv.label, keys));
}
