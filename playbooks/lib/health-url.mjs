import { pathToFileURL } from 'node:url';

// Where a component answers its health check, found on the controller from what was read on the node
// (health-check.yaml). Real clusters move it: kubeadm's probes name the advertise address, minikube's
// apiserver serves on 8443, a kubelet or kube-proxy config can move healthz. So the URL comes from, in order:
//   1. health_url when set: the user said so, and it wins over everything;
//   2. the static pod's startupProbe, livenessProbe or readinessProbe httpGet (what the kubelet itself checks);
//   3. the component's config file (--config) and its flags (--secure-port, --bind-address, --healthz-port,
//      --healthz-bind-address) applied to health_fallback_url; the kubelet lets flags override its config,
//      kube-proxy ignores those flags when it has a config file, so the order follows each;
//   4. health_fallback_url as the playbook gives it.
// Usage: node health-url.mjs HEALTH_URL FALLBACK_URL COMPONENT FLAGS_JSON POD_JSON CONFIG_JSON
// Prints the URL on stdout and where it came from on stderr; exits 2 with a message on bad input.

/** An address a health check can reach: "every address" means this host. */
function reachable(host) {
  const h = host.replace(/^\[|\]$/g, '');
  if (h === '' || h === '0.0.0.0') return '127.0.0.1';
  if (h === '::') return '[::1]';
  return h.includes(':') ? `[${h}]` : h;
}

/** The first container's httpGet probe as a URL, a named port looked up in the container's ports. */
export function probeUrl(pod) {
  const c = pod?.spec?.containers?.[0];
  if (!c) return undefined;
  for (const kind of ['startupProbe', 'livenessProbe', 'readinessProbe']) {
    const get = c[kind]?.httpGet;
    if (!get) continue;
    let port = get.port;
    if (typeof port === 'string' && !/^\d+$/.test(port)) port = (c.ports ?? []).find((p) => p.name === port)?.containerPort;
    if (port === undefined || port === null || port === '') continue;
    const scheme = String(get.scheme ?? 'HTTP').toLowerCase();
    const path = get.path ? (String(get.path).startsWith('/') ? get.path : `/${get.path}`) : '/';
    // A pod on the host network has the node's address; without host the kubelet probes the pod IP.
    return { url: `${scheme}://${reachable(String(get.host ?? ''))}:${port}${path}`, from: `the manifest's ${kind}` };
  }
  return undefined;
}

/** --name=value and --name value, the last one winning as in the components' flag parsing. */
export function parseFlags(flags) {
  const out = new Map();
  for (let i = 0; i < flags.length; i++) {
    const m = /^--?([^=]+)(?:=(.*))?$/s.exec(flags[i]);
    if (!m) continue;
    if (m[2] !== undefined) out.set(m[1], m[2]);
    else if (i + 1 < flags.length && !flags[i + 1].startsWith('-')) out.set(m[1], flags[++i]);
    else out.set(m[1], 'true');
  }
  return out;
}

/** Splits "HOST:PORT", "[V6]:PORT" or a bare address into its parts. */
function hostPort(text) {
  const v6 = /^\[(.*)\](?::(\d+))?$/.exec(text);
  if (v6) return { host: v6[1], port: v6[2] };
  const parts = text.split(':');
  return parts.length === 2 ? { host: parts[0], port: parts[1] } : { host: text };
}

const defined = (o) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== ''));

/**
 * Host and port from the flags and the config file, in the order the component applies them. Secure
 * serving (https) moves with --bind-address and --secure-port; healthz (http) with --healthz-bind-address
 * (kube-proxy's is HOST:PORT) and --healthz-port, or the config's healthzBindAddress and healthzPort.
 */
function overrides(component, secure, flags, config) {
  const f = parseFlags(flags);
  let fromFlags;
  if (secure) fromFlags = { host: f.get('bind-address'), port: f.get('secure-port') };
  else if (component === 'kube-proxy') fromFlags = f.has('healthz-bind-address') ? hostPort(f.get('healthz-bind-address')) : {};
  else fromFlags = { host: f.get('healthz-bind-address'), port: f.get('healthz-port') };
  const fromConfig = {};
  if (!secure && config && typeof config === 'object') {
    const bind = config.healthzBindAddress;
    if (typeof bind === 'string') Object.assign(fromConfig, component === 'kube-proxy' ? hostPort(bind) : { host: bind });
    if (config.healthzPort !== undefined) fromConfig.port = String(config.healthzPort);
  }
  const [flagged, configured] = [defined(fromFlags), defined(fromConfig)];
  // kube-proxy with --config ignores its healthz flags; the kubelet lets flags override its config.
  const merged = component === 'kube-proxy' && f.has('config') ? { ...flagged, ...configured } : { ...configured, ...flagged };
  const said = [Object.keys(configured).length ? 'config file' : '', Object.keys(flagged).length ? 'flags' : ''].filter(Boolean).join(' and ');
  return { ...merged, said };
}

/** The health URL to check, and where it came from. */
export function healthUrl({ explicit, fallback, component, flags = [], pod, config }) {
  if (explicit) return { url: explicit, from: 'health_url' };
  const probe = probeUrl(pod);
  if (probe) return probe;
  const base = new URL(fallback);
  const o = overrides(component, base.protocol === 'https:', flags, config);
  // Port 0 switches the endpoint off; the fallback is then as good a guess as any.
  if (o.port !== undefined && o.port !== '0') base.port = o.port;
  if (o.host !== undefined) base.hostname = reachable(o.host);
  const changed = base.toString() !== new URL(fallback).toString();
  return { url: changed ? base.toString() : fallback, from: changed ? `health_fallback_url with the component's ${o.said}` : 'health_fallback_url' };
}

function parseJson(text, what) {
  if (text === undefined || text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new Error(`${what} is not JSON (${e.message})`);
  }
}

async function main(argv) {
  const [explicit, fallback, component, flags, pod, config] = argv;
  if (!fallback && !explicit) throw new Error('neither health_url nor health_fallback_url is set: set health_url to the URL that answers when the component is healthy');
  try {
    if (fallback) new URL(fallback);
  } catch {
    throw new Error(`health_fallback_url ${JSON.stringify(fallback)} is not a URL: write it as https://127.0.0.1:6443/livez`);
  }
  const r = healthUrl({ explicit, fallback, component, flags: parseJson(flags, 'the flags') ?? [], pod: parseJson(pod, 'the manifest'), config: parseJson(config, 'the config file') });
  process.stdout.write(`${r.url}\n`);
  process.stderr.write(`health check: ${r.url} (from ${r.from})\n`);
}

// When run as a script; a checkout path may hold spaces, which its file URL escapes.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).catch((e) => {
    process.stderr.write(`${e.message}\n`);
    process.exit(2);
  });
}
