// The debug sessions' health check without a node: health-url.mjs (where the component answers, from its
// manifest, flags and config file, as kubeadm, minikube and kubelet configs place it) and health-check.sh
// (what counts as alive) against real HTTPS servers on loopback, with and without client certificates.
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { freePort } from '../helpers/net.js';
import { REPO_ROOT, writeTree } from '../helpers/files.js';

const RESOLVE = path.join(REPO_ROOT, 'playbooks/lib/health-url.mjs');
const CHECK = path.join(REPO_ROOT, 'playbooks/lib/health-check.sh');

interface Resolved {
  code: number | null;
  url: string;
  from: string;
}

function resolve(o: { explicit?: string; fallback: string; component: string; flags?: string[]; pod?: unknown; config?: unknown }): Resolved {
  const argv = [RESOLVE, o.explicit ?? '', o.fallback, o.component, JSON.stringify(o.flags ?? []), o.pod === undefined ? '""' : JSON.stringify(o.pod), o.config === undefined ? '""' : JSON.stringify(o.config)];
  const r = spawnSync(process.execPath, argv, { encoding: 'utf8' });
  return { code: r.status, url: r.stdout.trim(), from: r.stderr.trim() };
}

/** kubeadm 1.20's apiserver container, as `kubeadm init phase control-plane` writes it (probes abridged). */
const KUBEADM_APISERVER = {
  spec: {
    containers: [
      {
        command: ['kube-apiserver', '--advertise-address=10.250.0.10', '--secure-port=6443'],
        livenessProbe: { httpGet: { host: '10.250.0.10', path: '/livez', port: 6443, scheme: 'HTTPS' } },
        readinessProbe: { httpGet: { host: '10.250.0.10', path: '/readyz', port: 6443, scheme: 'HTTPS' } },
        startupProbe: { httpGet: { host: '10.250.0.10', path: '/livez', port: 6443, scheme: 'HTTPS' } },
      },
    ],
  },
};

describe('health-url.mjs: where the component answers', () => {
  test("a static pod: the startup probe kubeadm wrote (its advertise address), before the playbook's fallback", () => {
    const r = resolve({ fallback: 'https://127.0.0.1:6443/livez', component: 'kube-apiserver', pod: KUBEADM_APISERVER, flags: ['--secure-port=6443'] });
    assert.equal(r.code, 0, r.from);
    assert.equal(r.url, 'https://10.250.0.10:6443/livez');
    assert.match(r.from, /startupProbe/);
  });

  test("newer kubeadm's named probe port, a liveness probe alone, no host, and an IPv6 host", () => {
    const pod = (probe: object, ports?: object[]) => ({ spec: { containers: [{ ...probe, ...(ports ? { ports } : {}) }] } });
    const named = pod({ startupProbe: { httpGet: { host: '127.0.0.1', path: '/healthz', port: 'probe-port', scheme: 'HTTPS' } } }, [{ name: 'probe-port', containerPort: 10259 }]);
    assert.equal(resolve({ fallback: 'https://127.0.0.1:1/x', component: 'kube-scheduler', pod: named }).url, 'https://127.0.0.1:10259/healthz');
    assert.equal(resolve({ fallback: 'https://127.0.0.1:1/x', component: 'etcd', pod: pod({ livenessProbe: { httpGet: { path: '/health', port: 2381 } } }) }).url, 'http://127.0.0.1:2381/health');
    assert.equal(resolve({ fallback: 'https://127.0.0.1:1/x', component: 'etcd', pod: pod({ livenessProbe: { httpGet: { host: 'fd00::10', path: 'health', port: 2381 } } }) }).url, 'http://[fd00::10]:2381/health');
    // A named port the container does not declare cannot be checked: the next source is used.
    const unknown = pod({ startupProbe: { httpGet: { port: 'nope' } } });
    assert.equal(resolve({ fallback: 'https://127.0.0.1:6443/livez', component: 'kube-apiserver', pod: unknown }).url, 'https://127.0.0.1:6443/livez');
  });

  test("no probe: minikube's --secure-port=8443 and a --bind-address move the fallback; 0.0.0.0 means this host", () => {
    const minikube = resolve({ fallback: 'https://127.0.0.1:6443/livez', component: 'kube-apiserver', flags: ['--advertise-address=192.168.49.2', '--secure-port=8443'] });
    assert.equal(minikube.url, 'https://127.0.0.1:8443/livez');
    assert.match(minikube.from, /flags/);
    assert.equal(resolve({ fallback: 'https://127.0.0.1:10259/healthz', component: 'kube-scheduler', flags: ['--bind-address', '10.0.0.5', '--secure-port', '10300'] }).url, 'https://10.0.0.5:10300/healthz');
    assert.equal(resolve({ fallback: 'https://127.0.0.1:10259/healthz', component: 'kube-scheduler', flags: ['--bind-address=0.0.0.0'] }).url, 'https://127.0.0.1:10259/healthz');
    // --healthz-port is plain-HTTP healthz: it does not move an https endpoint.
    assert.equal(resolve({ fallback: 'https://127.0.0.1:10259/healthz', component: 'kube-scheduler', flags: ['--healthz-port=0'] }).url, 'https://127.0.0.1:10259/healthz');
  });

  test("the kubelet: its config's healthzPort and healthzBindAddress, which its flags override; port 0 (off) keeps the fallback", () => {
    const fallback = 'http://127.0.0.1:10248/healthz';
    assert.equal(resolve({ fallback, component: 'kubelet', config: { healthzBindAddress: '10.1.2.3', healthzPort: 10300 } }).url, 'http://10.1.2.3:10300/healthz');
    const both = resolve({ fallback, component: 'kubelet', flags: ['--config=/var/lib/kubelet/config.yaml', '--healthz-port=10400'], config: { healthzPort: 10300 } });
    assert.equal(both.url, 'http://127.0.0.1:10400/healthz');
    assert.match(both.from, /config file and flags/);
    assert.equal(resolve({ fallback, component: 'kubelet', config: { healthzPort: 0 } }).url, fallback);
  });

  test("kube-proxy: the config's healthzBindAddress HOST:PORT; with --config its healthz flags are ignored, as kube-proxy does", () => {
    const fallback = 'http://127.0.0.1:10256/healthz';
    assert.equal(resolve({ fallback, component: 'kube-proxy', flags: ['--config=/var/lib/kube-proxy/config.conf'], config: { healthzBindAddress: '0.0.0.0:10266' } }).url, 'http://127.0.0.1:10266/healthz');
    assert.equal(resolve({ fallback, component: 'kube-proxy', flags: ['--config=/c', '--healthz-bind-address=127.0.0.1:1'], config: { healthzBindAddress: '[::]:10266' } }).url, 'http://[::1]:10266/healthz');
    assert.equal(resolve({ fallback, component: 'kube-proxy', flags: ['--healthz-bind-address=127.0.0.2:10299'] }).url, 'http://127.0.0.2:10299/healthz');
  });

  test('health_url, when set, wins over the probe, the flags and the config', () => {
    const r = resolve({ explicit: 'https://lb.example:443/livez', fallback: 'https://127.0.0.1:6443/livez', component: 'kube-apiserver', pod: KUBEADM_APISERVER, flags: ['--secure-port=8443'] });
    assert.equal(r.url, 'https://lb.example:443/livez');
    assert.match(r.from, /from health_url/);
  });

  test('a fallback that is not a URL, or neither URL, is refused with what to write', () => {
    const bad = resolve({ fallback: '127.0.0.1:6443', component: 'kube-apiserver' });
    assert.equal(bad.code, 2);
    assert.equal(bad.url, '');
    assert.match(bad.from, /health_fallback_url "127\.0\.0\.1:6443" is not a URL: write it as https:/);
    const none = resolve({ fallback: '', component: 'kube-apiserver' });
    assert.equal(none.code, 2);
    assert.match(none.from, /set health_url/);
    assert.doesNotMatch(bad.from + none.from, /at .*\.mjs:\d+/, 'no stack trace');
  });
});

/** A CA, a server certificate for 127.0.0.1 and a client certificate it signed, made with openssl. */
function pki(): { dir: string; read(name: string): Buffer } {
  const dir = writeTree({ 'san.cnf': 'subjectAltName=IP:127.0.0.1\n' });
  const sh = (args: string) => execFileSync('sh', ['-c', args], { cwd: dir, stdio: 'pipe' });
  sh('openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 1 -subj /CN=test-ca');
  for (const n of ['server', 'client']) {
    sh(`openssl req -newkey rsa:2048 -nodes -keyout ${n}.key -out ${n}.csr -subj /CN=${n}`);
    sh(`openssl x509 -req -in ${n}.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out ${n}.crt -days 1 ${n === 'server' ? '-extfile san.cnf' : ''}`);
  }
  return { dir, read: (name) => readFileSync(path.join(dir, name)) };
}

function check(args: string[]): Promise<{ code: number | null; out: string }> {
  // Async: the servers answering the check live in this process.
  return new Promise((done) => {
    const c = spawn('sh', [CHECK, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    c.stdout.on('data', (d: Buffer) => (out += d.toString()));
    c.stderr.on('data', (d: Buffer) => (out += d.toString()));
    c.on('close', (code) => done({ code, out: out.trim() }));
  });
}

describe('health-check.sh: what counts as alive', { skip: spawnSync('sh', ['-c', 'command -v curl && command -v openssl']).status === 0 ? undefined : 'needs curl and openssl' }, () => {
  let certs: ReturnType<typeof pki>;
  let open: https.Server;
  let mtls: https.Server;
  const url = (s: https.Server, p: string) => `https://127.0.0.1:${(s.address() as AddressInfo).port}${p}`;
  before(async () => {
    certs = pki();
    // Answers /status/CODE with CODE, as an apiserver answers /livez with 200, 401, 403 or 500.
    const handler = (req: IncomingMessage, res: ServerResponse): void => {
      res.statusCode = Number(/\/status\/(\d+)/.exec(req.url ?? '')?.[1] ?? 404);
      res.end('x');
    };
    open = https.createServer({ key: certs.read('server.key'), cert: certs.read('server.crt') }, handler);
    // Like etcd's client URL: no answer at all without a client certificate the CA signed.
    mtls = https.createServer({ key: certs.read('server.key'), cert: certs.read('server.crt'), ca: certs.read('ca.crt'), requestCert: true, rejectUnauthorized: true }, handler);
    await Promise.all([open, mtls].map((s) => new Promise<void>((r) => s.listen(0, '127.0.0.1', r))));
  });
  after(() => {
    open?.close();
    mtls?.close();
  });

  test('2xx is healthy; 401 and 403 (--anonymous-auth=false) are alive; 5xx and 404 are not, and say what answered', async () => {
    for (const code of [200, 204, 401, 403]) {
      const r = await check([url(open, `/status/${code}`)]);
      assert.equal(r.code, 0, `${code}: ${r.out}`);
      assert.match(r.out, new RegExp(`answers ${code}`));
    }
    for (const code of [500, 503, 404]) {
      const r = await check([url(open, `/status/${code}`)]);
      assert.equal(r.code, 1, `${code}: ${r.out}`);
      assert.match(r.out, new RegExp(`answers ${code}$`));
    }
  });

  test('a refused connection is not alive, and says curl could not connect', async () => {
    const r = await check([`https://127.0.0.1:${await freePort()}/livez`]);
    assert.equal(r.code, 1);
    assert.match(r.out, /^no answer from https:\/\/127\.0\.0\.1:\d+\/livez \(curl exit status 7\)$/);
  });

  test('a client certificate is passed where the endpoint wants one; health_ca verifies the server', async () => {
    const d = (n: string) => path.join(certs.dir, n);
    const without = await check([url(mtls, '/status/200')]);
    assert.equal(without.code, 1, without.out);
    assert.match(without.out, /^no answer from/);
    const withCert = await check([url(mtls, '/status/200'), d('client.crt'), d('client.key'), d('ca.crt')]);
    assert.equal(withCert.code, 0, withCert.out);
    // The CA is really used: a server certificate it did not sign fails the check.
    const wrongCa = await check([url(open, '/status/200'), '', '', d('client.crt')]);
    assert.equal(wrongCa.code, 1, wrongCa.out);
    assert.match(wrongCa.out, /curl exit status 60/);
  });

  test('no URL is a usage error', async () => {
    const r = await check([]);
    assert.equal(r.code, 2);
    assert.match(r.out, /usage: health-check\.sh URL/);
  });
});
