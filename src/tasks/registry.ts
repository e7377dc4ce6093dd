import { assert } from './assert.js';
import { command } from './command.js';
import { copy } from './copy.js';
import { debug } from './debug.js';
import { dlv } from './dlv.js';
import { fail } from './fail.js';
import { fetch } from './fetch.js';
import { file } from './file.js';
import { hold } from './hold.js';
import { include } from './include.js';
import type { KindDef, KindName } from './kind.js';
import { lineinfile } from './lineinfile.js';
import { move } from './move.js';
import { read } from './read.js';
import { setFact } from './set-fact.js';
import { template } from './template.js';
import type { BuiltinUndoSpec } from './undos.js';
import { tunnel } from './tunnel.js';
import { waitFor } from './wait-for.js';

/**
 * Every kind the schema defines has an entry here; a kind without one does not compile, nor does
 * one whose prepareUndo returns something other than a built-in undo (src/tasks/undos.ts).
 */
export const taskKinds: { readonly [K in KindName]: KindDef<K, any, BuiltinUndoSpec> } = {
  command,
  copy,
  fetch,
  template,
  wait_for: waitFor,
  read,
  move,
  include,
  dlv,
  tunnel,
  hold,
  file,
  lineinfile,
  assert,
  fail,
  debug,
  set_fact: setFact,
};

/** The kinds, in the order the schema lists them. */
export const KIND_NAMES = Object.keys(taskKinds) as KindName[];
