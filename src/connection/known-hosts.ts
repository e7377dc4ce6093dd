import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { appendFileSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { InternalError, KplayError } from '../errors.js';
import { shellQuote } from '../template/shell-quote.js';
import { expandTilde, matchPatternList } from './ssh-config.js';

/** How unknown host keys are treated: refused, recorded on first sight, or not checked at all. */
export type HostKeyPolicy = 'strict' | 'accept-new' | 'off';

/** The outcome of checking a host key against known_hosts files. */
export interface HostKeyCheck {
  ok: boolean;
  reason?: 'unknown' | 'mismatch' | 'revoked';
  /** SHA256:... fingerprints of the keys on file for the host (mismatch only). */
  expected?: string[];
  /** SHA256:... fingerprint of the key the host offered. */
  offered: string;
  /** accept-new wrote the key to the first file. */
  recorded?: boolean;
  /** Where the entries behind `expected` are, and the name each was found under (mismatch only). */
  offending?: { file: string; line: number; name: string }[];
}

interface Entry {
  file: string;
  line: number;
  marker?: 'revoked';
  hosts: string;
  type: string;
  blob: Buffer;
}

/** Looks the host up (name or address, and port) in known_hosts files and decides per policy. */
export function checkHostKey(opts: {
  host: string;
  port: number;
  /** The raw public key blob ssh2 gives a hostVerifier. */
  key: Buffer;
  /** known_hosts files; the first is the one accept-new appends to. */
  files: string[];
  policy: HostKeyPolicy;
  /** Other names the host is known by, e.g. its inventory name and address. */
  aliases?: string[];
}): HostKeyCheck {
  const offered = fingerprint(opts.key);
  if (opts.policy === 'off') return { ok: true, offered };
  const type = keyType(opts.key);
  const names = [...new Set([opts.host, ...(opts.aliases ?? [])].map((h) => hostFileName(h, opts.port)))];

  const known: { entry: Entry; name: string }[] = [];
  const texts = new Map<string, string>();
  for (const file of opts.files.map(expandTilde)) {
    const text = readKnownHosts(file);
    texts.set(file, text);
    for (const [i, line] of text.split('\n').entries()) {
      const entry = parseLine(line, file, i + 1);
      if (!entry) continue;
      // A revoked key is compromised whoever presents it, so the line's host patterns are not
      // consulted (OpenSSH only applies it to hosts the patterns match; Go's knownhosts, like
      // this, applies it to all). Checked before anything else so no other line can override it.
      if (entry.marker === 'revoked') {
        if (entry.blob.equals(opts.key)) return { ok: false, reason: 'revoked', offered };
        continue;
      }
      const name = names.find((n) => hostsMatch(entry.hosts, n));
      if (name !== undefined) known.push({ entry, name });
    }
  }

  // Names and aliases are pooled: a key on file under any of them vouches for the host. A stale
  // entry under another name (a reused address, say) does not block a key that matches.
  if (known.some(({ entry }) => entry.blob.equals(opts.key))) return { ok: true, offered };

  if (known.length > 0) {
    // Unlike OpenSSH, a key of a type not on file counts as a mismatch rather than as unknown:
    // ssh orders its host key algorithms to get a known type, kplay does not, so otherwise a
    // man in the middle could dodge the check (and under accept-new get recorded) by offering
    // another type.
    const sameType = known.filter(({ entry }) => entry.type === type);
    const relevant = sameType.length > 0 ? sameType : known;
    return {
      ok: false,
      reason: 'mismatch',
      expected: [...new Set(relevant.map(({ entry }) => fingerprint(entry.blob)))],
      offered,
      offending: relevant.map(({ entry, name }) => ({ file: entry.file, line: entry.line, name })),
    };
  }

  if (opts.policy === 'strict') return { ok: false, reason: 'unknown', offered };

  const target = opts.files[0];
  if (target === undefined) throw new InternalError('hostKeyChecking accept-new needs a known_hosts file to record keys in');
  const file = expandTilde(target);
  record(file, texts.get(file) ?? '', `${hostFileName(opts.host, opts.port)} ${type} ${opts.key.toString('base64')}`);
  return { ok: true, offered, recorded: true };
}

/** "SHA256:" and the unpadded base64 SHA-256 of a public key blob, as ssh-keygen -l prints it. */
export function fingerprint(key: Buffer): string {
  return `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;
}

/** The key type named inside a public key blob: "ssh-ed25519", "ecdsa-sha2-nistp256", "ssh-rsa"... */
export function keyType(key: Buffer): string {
  const type = readKeyType(key);
  // ssh2 parses the key before handing it over, so a blob without a type means a bug on our side.
  if (type === undefined) throw new InternalError('the host key handed over by ssh2 is not an SSH public key blob');
  return type;
}

/** The message and hint to show when a host key check fails. */
export function describeHostKeyFailure(host: string, port: number, check: HostKeyCheck, file: string): { message: string; hint: string } {
  const where = displayHost(host, port);
  const name = hostFileName(host, port);
  switch (check.reason) {
    case 'revoked':
      return {
        message: `the host key offered by ${where} (${check.offered}) is marked @revoked in a known_hosts file; refusing to connect`,
        hint: `A revoked key was compromised or retired. Get the host's current key from its administrator and check ${check.offered} against it; do not delete the @revoked line to get past this.`,
      };
    case 'mismatch': {
      const expected = check.expected ?? [];
      const offending = check.offending ?? [];
      const locations = offending.length > 0 ? offending.map((o) => `${o.file}:${o.line}`) : [file];
      const removals = offending.length > 0 ? [...new Set(offending.map((o) => removeCommand(o.name, o.file)))] : [removeCommand(name, file)];
      return {
        message:
          `the host key of ${where} has changed! On file (${locations.join(', ')}): ${expected.join(', ')}; offered: ${check.offered}. ` +
          `Someone could be intercepting the connection (man-in-the-middle attack), or the host's key was replaced (reinstall, new host on a reused address).`,
        hint:
          `Check the offered key with the host's administrator (on the host: ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub). ` +
          `Only if it is the right one, remove the old entry with: ${removals.join(' && ')} ` +
          `and connect again with hostKeyChecking: accept-new to record the new key (or add it yourself).`,
      };
    }
    case 'unknown':
      return {
        message: `the host key of ${where} (${check.offered}) is not in any known_hosts file, and hostKeyChecking is strict`,
        hint:
          `Add it with: ssh-keyscan -p ${port} ${shellQuote(host)} >> ${shellQuote(file)} ` +
          `(then compare ssh-keygen -lf ${shellQuote(file)} with the fingerprint the host's administrator gives you), ` +
          `or set hostKeyChecking: accept-new to record keys of hosts seen for the first time.`,
      };
    default:
      return {
        message: `the host key of ${where} (${check.offered}) was not accepted`,
        hint: `Check ${file} and the hostKeyChecking setting.`,
      };
  }
}

// The form known_hosts uses for a host: plain for port 22, "[host]:port" otherwise. ssh
// lowercases names before looking them up, and hashed entries are hashes of that lowercase form.
function hostFileName(host: string, port: number): string {
  const h = host.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  return port === 22 ? h : `[${h}]:${port}`;
}

function displayHost(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

function removeCommand(name: string, file: string): string {
  return `ssh-keygen -R ${shellQuote(name)} -f ${shellQuote(file)}`;
}

function readKnownHosts(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return '';
    // Reading on past an unreadable file could miss the entry that says a key has changed.
    throw new KplayError('E_FILE', `cannot read known_hosts file ${file}: ${(e as Error).message}`, {
      cause: e,
      hint: 'Fix its permissions, or point knownHosts in the inventory at another file.',
    });
  }
}

function parseLine(line: string, file: string, lineNo: number): Entry | undefined {
  const fields = line.trim().split(/\s+/);
  if (fields[0] === '' || fields[0]!.startsWith('#')) return undefined;
  let marker: 'revoked' | undefined;
  if (fields[0]!.startsWith('@')) {
    const m = fields.shift();
    // @cert-authority lines vouch for host certificates; kplay does not accept certificates,
    // so they cannot vouch for anything here. Unknown markers make the line invalid, as in OpenSSH.
    if (m !== '@revoked') return undefined;
    marker = 'revoked';
  }
  const [hosts, type, b64] = fields;
  if (hosts === undefined || type === undefined || b64 === undefined) return undefined;
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) return undefined;
  const blob = Buffer.from(b64, 'base64');
  // OpenSSH rejects a line whose key blob names another type than the line does.
  if (readKeyType(blob) !== type) return undefined;
  return { file, line: lineNo, marker, hosts, type, blob };
}

function hostsMatch(hosts: string, name: string): boolean {
  // A hashed field holds exactly one name: "|1|base64(salt)|base64(HMAC-SHA1(salt, name))".
  if (hosts.startsWith('|')) {
    const parts = hosts.split('|');
    if (parts.length !== 4 || parts[1] !== '1') return false;
    const salt = Buffer.from(parts[2]!, 'base64');
    const hash = Buffer.from(parts[3]!, 'base64');
    if (salt.length !== 20 || hash.length !== 20) return false;
    return timingSafeEqual(createHmac('sha1', salt).update(name).digest(), hash);
  }
  return matchPatternList(name, hosts.split(','));
}

function readKeyType(blob: Buffer): string | undefined {
  if (blob.length < 4) return undefined;
  const len = blob.readUInt32BE(0);
  if (len === 0 || len > 64 || 4 + len > blob.length) return undefined;
  const type = blob.toString('latin1', 4, 4 + len);
  return /^[\x21-\x7e]+$/.test(type) ? type : undefined;
}

// Synchronous on purpose, like the reads before it: kplay connects to many hosts at once, and
// reading, deciding and appending without yielding to the event loop keeps two connections to the
// same new host from both appending a line.
function record(file: string, current: string, line: string): void {
  try {
    mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    const sep = current !== '' && !current.endsWith('\n') ? '\n' : '';
    appendFileSync(file, `${sep}${line}\n`, { mode: 0o600 });
  } catch (e) {
    throw new KplayError('E_FILE', `cannot record the host key in ${file}: ${(e as Error).message}`, {
      cause: e,
      hint: 'Check that the folder and file are writable, or point knownHosts in the inventory at another file.',
    });
  }
}
