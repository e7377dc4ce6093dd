/**
 * Debug sessions on the REAL control plane (real-control-plane.ts), shared by the end-to-end tests and
 * `npm run demo -- --real`: the shipped playbook run through the real CLI into the node, building from
 * Debian's 1.20.2 tree (holding the tree's lock, see k8s-tree.ts), with the IDE settings written into that
 * checkout; and a breakpoint set the way an IDE sets it, on a checkout file translated through the
 * written launch.json.
 */
import assert from 'node:assert/strict';
import { readFileSync, rmdirSync } from 'node:fs';
import path from 'node:path';
import { startDebugRun } from './debug-session.js';
import type { DebugRun } from './debug-session.js';
import { DelveClient } from './delve-client.js';
import type { StoppedAt } from './delve-client.js';
import { launchRules, toDebuggerPathDap, toDebuggerPathLegacy, toLocalPath } from './ide-mapping.js';
import type { K8sTree } from './k8s-tree.js';
import type { RealControlPlane } from './real-control-plane.js';
import type { Component } from './standin-cluster.js';

/** Starts `kplay run debug-*.yaml` for c on the real node (lab host h1). */
export function startRealSession(cp: RealControlPlane, tree: K8sTree, c: Component, workDir: string, extra: { extraVars?: string[]; onOutput?: (text: string) => void } = {}): Promise<DebugRun> {
  return startDebugRun({ lab: cp.lab!, host: 'h1', treeDir: tree.dir, ideDir: tree.dir, lockFile: tree.lockFile, component: c, workDir, ...extra });
}

/**
 * A breakpoint as a developer sets it: a line of a file of the checkout, found by its text (the first
 * one after the line holding `after`, when given: the same statement can be in several functions).
 */
export function checkoutLine(tree: string, file: string, text: string, after?: string): { local: string; line: number } {
  const local = path.join(tree, file);
  const lines = readFileSync(local, 'utf8').split('\n');
  const from = after === undefined ? 0 : lines.findIndex((l) => l.includes(after));
  const i = from < 0 ? -1 : lines.findIndex((l, j) => j >= from && l.includes(text));
  if (i < 0) throw new Error(`no line with ${JSON.stringify(text)}${after ? ` after ${JSON.stringify(after)}` : ''} in ${local}`);
  return { local, line: i + 1 };
}

/**
 * Ctrl-C, and the end of kplay awaited (at most 10 minutes): called from a `finally`, so that a failed
 * assertion does not end the test, and close the node, while kplay is still putting things back.
 */
export async function endSession(run: DebugRun): Promise<{ code: number | null; out: string }> {
  run.child.kill('SIGINT');
  const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`kplay did not end within 10 minutes of Ctrl-C:\n${run.output()}`)), 600_000).unref());
  return Promise.race([run.exited, timeout]);
}

/** Empty IDE folders a killed session left in the shared tree (kplay makes them, and removes them when it can). */
export function removeEmptyIdeFolders(tree: K8sTree): void {
  for (const d of ['.vscode', '.idea/runConfigurations', '.idea']) {
    try {
      rmdirSync(path.join(tree.dir, d));
    } catch {
      // absent, or not empty: a user's own
    }
  }
}

export interface Held {
  at: StoppedAt;
  /** The Delve client, stopped at the breakpoint: release() clears it and lets the component go on. */
  client: DelveClient;
  /** What the trigger resolved to (it may wait for the component to go on). */
  triggered: Promise<unknown>;
  release(): Promise<void>;
}

/**
 * Through the tunnel, as an IDE would: the checkout line translated by the written launch.json, a
 * breakpoint there, the trigger started while the component runs, and where it stopped.
 */
export async function breakAt(run: DebugRun, tree: K8sTree, bp: { local: string; line: number }, trigger: () => Promise<unknown>): Promise<Held> {
  const rules = launchRules(path.join(tree.dir, '.vscode/launch.json'), tree.dir);
  const remote = toDebuggerPathLegacy(rules, bp.local);
  assert.notEqual(remote, bp.local, 'a 1.20 build knows its files by other names than the checkout');
  assert.equal(toDebuggerPathDap(rules, bp.local), remote, 'the Go extension\'s legacy adapter and dlv-dap translate alike');
  const client = await DelveClient.connect(run.localPort);
  await client.halt();
  // The control: the checkout's own path, untranslated, is what made breakpoints fail before the mapping.
  await assert.rejects(client.call('CreateBreakpoint', { Breakpoint: { file: bp.local, line: bp.line } }), /could not find file/);
  const id = await client.setBreakpoint(remote, bp.line);
  const stopped = client.continueUntilStopped(180_000);
  const triggered = trigger();
  const at = await stopped;
  assert.equal(toLocalPath(rules, at.file), bp.local, 'the file Delve stopped in maps back to the checkout file');
  assert.equal(at.line, bp.line);
  return {
    at,
    client,
    triggered,
    async release() {
      await client.clearBreakpoint(id);
      client.resume();
      client.close();
    },
  };
}

