/**
 * What a host-run kube-proxy must get from debug-kube-proxy.yaml, checked the same way on the stand-in
 * and the real control plane: a kubeconfig (0600) that holds a bounded token of its service account,
 * the cluster CA and the ConfigMap's server, and nothing of the user's credentials; and a token that
 * appears nowhere kplay writes (its output, its journals and backups on the controller and the node).
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';

/** The claims of a service-account token (a JWT): who it is and how long it lives. */
export interface TokenClaims {
  sub: string;
  iat: number;
  exp: number;
}

export function tokenClaims(token: string): TokenClaims {
  const payload = token.split('.')[1];
  assert.ok(payload, 'the token is a JWT (header.payload.signature)');
  return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as TokenClaims;
}

interface Kubeconfig {
  clusters: { cluster: Record<string, string> }[];
  users: { user: Record<string, string> }[];
}

/**
 * Checks the kubeconfig kplay wrote for kube-proxy and returns its token: mode 0600, the CA of
 * kube-root-ca.crt, the server of the kube-proxy ConfigMap, and a token of `account` that lives
 * about `seconds` (the default proxy_token_seconds when not given); no client certificate or key.
 */
export function assertServiceAccountKubeconfig(o: { text: string; mode: string; caPem: string; server: string; account: string; seconds?: number }): string {
  assert.equal(o.mode, '600', 'the kubeconfig with the token is readable by root only');
  const k = parse(o.text) as Kubeconfig;
  assert.equal(k.clusters.length, 1);
  assert.equal(Buffer.from(k.clusters[0]!.cluster['certificate-authority-data']!, 'base64').toString('utf8'), o.caPem, 'the CA of kube-root-ca.crt');
  assert.equal(k.clusters[0]!.cluster.server, o.server, "the server of the ConfigMap's kubeconfig.conf");
  assert.deepEqual(Object.keys(k.users[0]!.user), ['token'], 'a token and nothing else: no client certificate, key or token file');
  const token = k.users[0]!.user.token!;
  const claims = tokenClaims(token);
  assert.equal(claims.sub, `system:serviceaccount:${o.account}`);
  const lifetime = claims.exp - claims.iat;
  const want = o.seconds ?? 86_400;
  assert.ok(lifetime > 0 && lifetime <= want, `a bounded token: it lives ${lifetime} s, asked for ${want} s`);
  return token;
}

function filesUnder(dir: string): string[] {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  return entries.flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? filesUnder(p) : e.isFile() ? [p] : [];
  });
}

/** Fails when the token is in any of the texts (named) or in any file under the folders (on this machine). */
export function assertTokenNowhere(token: string, texts: Record<string, string>, dirs: string[]): void {
  assert.ok(token.length > 40, 'a token to look for');
  for (const [name, text] of Object.entries(texts)) assert.equal(text.includes(token), false, `the token appears in ${name}`);
  const files = dirs.flatMap(filesUnder);
  assert.ok(files.length > 0, `kplay's journals are where the test looks: ${dirs.join(', ')}`);
  for (const f of files) {
    if (statSync(f).size > 50 << 20) continue; // uploads (the debug build): no journal
    assert.equal(readFileSync(f, 'utf8').includes(token), false, `the token appears in ${f}`);
  }
}
