import { readdirSync, readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { KplayError } from '../errors.js';

/** What ~/.ssh/config says about one host, limited to the keywords kplay honours. */
export interface SshConfigEntry {
  /** HostName, with %h already replaced. */
  hostName?: string;
  user?: string;
  port?: number;
  /** Every IdentityFile that applies, in order, with ~ and %-tokens expanded. */
  identityFiles: string[];
  /** ProxyJump hops as written ([user@]host[:port]); "none" gives []. */
  proxyJump?: string[];
}

// OpenSSH's READCONF_MAX_DEPTH: deep enough for any real layout, shallow enough to stop an Include loop.
const MAX_INCLUDE_DEPTH = 16;

/** Settings for a host from an ssh_config text, OpenSSH-style: for each keyword the first value that applies wins. */
export function resolveSshConfig(text: string, host: string): SshConfigEntry {
  return resolve(text, host, 'ssh_config');
}

/** Reads ~/.ssh/config (or the given path); a missing file gives an empty entry. */
export function loadSshConfig(host: string, file?: string): SshConfigEntry {
  const configFile = expandTilde(file ?? path.join(os.homedir(), '.ssh', 'config'));
  const text = readConfigFile(configFile);
  return text === undefined ? { identityFiles: [] } : resolve(text, host, configFile);
}

/**
 * OpenSSH pattern-list matching (ssh_config Host lines, known_hosts host fields): true when some
 * pattern matches and no "!pattern" does. Case-insensitive; `*` and `?` are the only wildcards.
 */
export function matchPatternList(name: string, patterns: string[]): boolean {
  const s = name.toLowerCase();
  let matched = false;
  for (const raw of patterns) {
    const negated = raw.startsWith('!');
    const p = (negated ? raw.slice(1) : raw).toLowerCase();
    if (p === '' || !wildcardMatch(s, p)) continue;
    // One matching negation vetoes the whole list, wherever it stands.
    if (negated) return false;
    matched = true;
  }
  return matched;
}

/** Replaces a leading `~` or `~/` with the home folder, as ssh does for paths in its files. */
export function expandTilde(p: string): string {
  if (p === '~') return os.homedir();
  if (p.startsWith('~/')) return path.join(os.homedir(), p.slice(2));
  return p;
}

interface Collected {
  hostName?: string;
  user?: string;
  port?: number;
  identityFiles: string[];
  proxyJump?: string[];
}

interface Context {
  host: string;
  out: Collected;
}

function resolve(text: string, host: string, file: string): SshConfigEntry {
  const ctx: Context = { host, out: { identityFiles: [] } };
  processText(ctx, text, file, 0);
  const c = ctx.out;
  const hostName = c.hostName === undefined ? undefined : percentExpand(c.hostName, { h: host });
  const localUser = localUserName();
  // Tokens are expanded once everything is known: %h, %r and %p depend on settings that a later
  // block may still supply. %r and %p fall back to what ssh itself would use without -l and -p.
  const tokens: Record<string, string> = {
    d: os.homedir(),
    u: localUser,
    h: hostName ?? host,
    n: host,
    r: c.user ?? localUser,
    p: String(c.port ?? 22),
    l: os.hostname(),
    L: os.hostname().split('.')[0] ?? '',
  };
  const uid = process.getuid?.();
  if (uid !== undefined) tokens.i = String(uid);
  const entry: SshConfigEntry = { identityFiles: c.identityFiles.map((f) => percentExpand(expandTilde(f), tokens)) };
  if (hostName !== undefined) entry.hostName = hostName;
  if (c.user !== undefined) entry.user = c.user;
  if (c.port !== undefined) entry.port = c.port;
  if (c.proxyJump !== undefined) entry.proxyJump = c.proxyJump;
  return entry;
}

// Included files are read only from blocks that apply; they start applying, as the including line
// did, until their own Host or Match lines say otherwise, and the including file carries on as before.
// That is readconf.c's behaviour: there, an Include in a block that does not apply can match nothing.
function processText(ctx: Context, text: string, file: string, depth: number): void {
  let active = true;
  const lines = text.split('\n');
  for (const [i, raw] of lines.entries()) {
    const lineNo = i + 1;
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([^\s=]+)(?:\s*=\s*|\s+|$)(.*)$/.exec(line);
    if (!m) continue;
    const keyword = m[1]!.toLowerCase();
    const args = splitArgs(m[2]!, file, lineNo);
    const fail = (message: string, hint?: string): never => {
      throw new KplayError('E_FILE', `${m[1]}: ${message}`, { pos: { file, line: lineNo, col: 1 }, hint: hint ?? 'Fix this line of the SSH config file; ssh itself would refuse it too.' });
    };

    if (keyword === 'host') {
      if (args.length === 0) fail('needs at least one pattern');
      active = matchPatternList(ctx.host, args);
      continue;
    }
    if (keyword === 'match') {
      if (args.length === 0) fail('needs a criterion');
      // Only "Match all" is evaluated. The other criteria (host, user, exec, canonical, final...)
      // depend on state kplay does not have or would have to run commands to learn; treating them
      // as not matching keeps settings kplay cannot judge from applying by mistake.
      active = args.length === 1 && args[0]!.toLowerCase() === 'all';
      continue;
    }
    if (!active) continue;

    switch (keyword) {
      case 'include': {
        if (args.length === 0) fail('needs a file name');
        if (depth + 1 > MAX_INCLUDE_DEPTH) fail(`nested more than ${MAX_INCLUDE_DEPTH} levels deep`, 'Look for an Include that ends up including itself.');
        for (const pattern of args) {
          for (const included of expandGlob(includePath(pattern))) {
            const includedText = readConfigFile(included);
            if (includedText !== undefined) processText(ctx, includedText, included, depth + 1);
          }
        }
        break;
      }
      case 'hostname': {
        const value = single(args, fail);
        ctx.out.hostName ??= value;
        break;
      }
      case 'user': {
        const value = single(args, fail);
        ctx.out.user ??= value;
        break;
      }
      case 'port': {
        const value = single(args, fail);
        const port = /^\d+$/.test(value) ? Number(value) : NaN;
        if (!(port >= 1 && port <= 65535)) fail(`"${value}" is not a port number (1-65535)`);
        ctx.out.port ??= port;
        break;
      }
      case 'identityfile':
        ctx.out.identityFiles.push(single(args, fail));
        break;
      case 'proxyjump': {
        const value = single(args, fail);
        if (ctx.out.proxyJump !== undefined) break;
        if (value === 'none') {
          ctx.out.proxyJump = [];
          break;
        }
        const hops = value.split(',').map((h) => h.trim());
        if (hops.some((h) => h === '')) fail(`"${value}" has an empty hop`, 'Separate hops with single commas: ProxyJump bastion1,user@bastion2:2222');
        ctx.out.proxyJump = hops;
        break;
      }
      default:
        // Every other keyword is ssh's business, not kplay's.
        break;
    }
  }
}

function single(args: string[], fail: (message: string, hint?: string) => never): string {
  if (args.length === 0) fail('needs a value');
  if (args.length > 1) fail(`takes one value, got ${args.length}`, 'Quote a value that contains spaces.');
  return args[0]!;
}

// Word splitting as in OpenSSH's argv_split: single or double quotes group, a backslash escapes a
// quote, a backslash or (outside quotes) a space, and an unquoted word starting with # ends the line.
function splitArgs(s: string, file: string, line: number): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < s.length) {
    while (s[i] === ' ' || s[i] === '\t') i++;
    if (i >= s.length || s[i] === '#') break;
    let word = '';
    let quote: string | undefined;
    for (; i < s.length; i++) {
      const c = s[i]!;
      const next = s[i + 1];
      if (c === '\\' && next !== undefined && (next === '"' || next === "'" || next === '\\' || (quote === undefined && next === ' '))) {
        word += next;
        i++;
      } else if (quote === undefined && (c === ' ' || c === '\t')) {
        break;
      } else if (quote === undefined && (c === '"' || c === "'")) {
        quote = c;
      } else if (quote !== undefined && c === quote) {
        quote = undefined;
      } else {
        word += c;
      }
    }
    if (quote !== undefined) {
      throw new KplayError('E_FILE', `unterminated ${quote} quote`, { pos: { file, line, col: 1 }, hint: 'Close the quote, or escape it with a backslash.' });
    }
    out.push(word);
  }
  return out;
}

// Relative Include paths are relative to ~/.ssh, as for any user configuration in OpenSSH.
function includePath(p: string): string {
  const expanded = expandTilde(p);
  return path.isAbsolute(expanded) ? expanded : path.join(os.homedir(), '.ssh', expanded);
}

function readConfigFile(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw new KplayError('E_FILE', `cannot read SSH config file ${file}: ${(e as Error).message}`, {
      cause: e,
      hint: 'Check the file permissions, or point kplay at another SSH config file.',
    });
  }
}

function percentExpand(s: string, tokens: Record<string, string>): string {
  // Unknown tokens stay as written, so a path with one still shows where it came from.
  return s.replace(/%(.)/g, (whole, t: string) => (t === '%' ? '%' : (tokens[t] ?? whole)));
}

function localUserName(): string {
  try {
    return os.userInfo().username;
  } catch {
    // No passwd entry (some containers): the environment is the best remaining guess.
    return process.env.USER ?? process.env.LOGNAME ?? '';
  }
}

function wildcardMatch(s: string, p: string): boolean {
  let si = 0;
  let pi = 0;
  let starP = -1;
  let starS = 0;
  while (si < s.length) {
    if (pi < p.length && (p[pi] === '?' || p[pi] === s[si])) {
      si++;
      pi++;
    } else if (pi < p.length && p[pi] === '*') {
      starP = pi++;
      starS = si;
    } else if (starP >= 0) {
      // Let the last * swallow one more character and retry from there.
      pi = starP + 1;
      si = ++starS;
    } else {
      return false;
    }
  }
  while (p[pi] === '*') pi++;
  return pi === p.length;
}

// glob(3) as Include uses it: *, ? and [...] within one path component, hidden files only matched by
// a pattern that starts with a dot, regular files only, results in lexical order.
function expandGlob(pattern: string): string[] {
  const parts = pattern.split('/').filter((p, i) => p !== '' || i === 0);
  let found = [parts[0] === '' ? '/' : '.'];
  for (const part of parts.slice(parts[0] === '' ? 1 : 0)) {
    if (!/[*?[]/.test(part)) {
      found = found.map((dir) => path.join(dir, part));
      continue;
    }
    const re = globSegment(part);
    found = found.flatMap((dir) => {
      let names: string[];
      try {
        names = readdirSync(dir);
      } catch {
        return [];
      }
      return names.filter((n) => re.test(n) && (!n.startsWith('.') || part.startsWith('.'))).map((n) => path.join(dir, n));
    });
  }
  return found
    .filter((f) => {
      try {
        return statSync(f).isFile();
      } catch {
        return false;
      }
    })
    .sort();
}

function globSegment(part: string): RegExp {
  let re = '';
  for (let i = 0; i < part.length; i++) {
    const c = part[i]!;
    if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (c === '[') {
      const end = part.indexOf(']', i + 2);
      if (end === -1) {
        re += '\\[';
        continue;
      }
      let body = part.slice(i + 1, end);
      const negate = body.startsWith('!') || body.startsWith('^');
      if (negate) body = body.slice(1);
      re += `[${negate ? '^' : ''}${body.replace(/[\\\]^]/g, '\\$&')}]`;
      i = end;
    } else re += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`, 's');
}
