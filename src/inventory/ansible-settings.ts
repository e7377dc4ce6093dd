// Ansible's connection variables (ansible_host, ansible_port, ...) as kplay's host settings. Those
// kplay maps leave the vars and become settings (templates read them as host.address, host.port,
// host.user); ansible_become_user becomes the var become_user. Every other ansible_* variable is
// warned about by name and position and stays a var, never used to connect; passwords written in
// the inventory are refused (kplay reads them only from environment variables) and never shown.
// kplay's own settings that Ansible has no variable for are written kplay_state_dir and the like.
import type { Diagnostic, SourcePos } from '../errors.js';
import type { Connection } from '../config/inventory.generated.js';
import type { PlacedVars } from './ansible-tree.js';
import { splitWords } from './ini-inventory.js';

/** What an Ansible inventory can say about reaching a host. */
export interface HostSettings extends Connection {
  address?: string;
}

/** A layer once its settings are taken out: the vars left, and the settings it gives. */
export interface SettledLayer {
  layer: PlacedVars;
  /**
   * By Ansible variable (its current name), what it sets: a later layer's variable replaces all an
   * earlier one of the same name set, as a variable overrides a variable in Ansible (a host's
   * ansible_ssh_common_args replaces its group's whole, not option by option).
   */
  settings: Record<string, HostSettings>;
}

/** The name kplay gives ansible_become_user: a host var that `become_user` of tasks defaults to. */
export const BECOME_USER_VAR = 'become_user';

type Setter = (value: unknown, out: HostSettings, at: Place) => void;

/** Where a setting is written, and where its problems go. */
interface Place {
  name: string;
  pos: SourcePos;
  problems: Diagnostic[];
}

const SETTERS: Record<string, Setter> = {
  ansible_host: (v, out, at) => (out.address = text(v, at)),
  ansible_port: (v, out, at) => (out.port = port(v, at)),
  ansible_user: (v, out, at) => (out.user = text(v, at)),
  ansible_ssh_private_key_file: (v, out, at) => (out.identityFile = text(v, at)),
  ansible_become: (v, out, at) => (out.become = bool(v, at)),
  ansible_ssh_common_args: (v, out, at) => sshArgs(v, out, at),
  ansible_ssh_extra_args: (v, out, at) => sshArgs(v, out, at),
  ansible_connection: (v, _out, at) => onlyValues(v, ['ssh', 'smart', 'paramiko'], 'kplay connects over SSH only', at),
  ansible_become_method: (v, _out, at) => onlyValues(v, ['sudo'], 'kplay becomes root (or become_user) with sudo only', at),
  // kplay's settings that Ansible has no variable for.
  kplay_state_dir: (v, out, at) => (out.stateDir = text(v, at)),
  kplay_password_env: (v, out, at) => (out.passwordEnv = envName(v, at)),
  kplay_passphrase_env: (v, out, at) => (out.passphraseEnv = envName(v, at)),
  kplay_become_password_env: (v, out, at) => (out.becomePasswordEnv = envName(v, at)),
  kplay_host_key_checking: (v, out, at) => (out.hostKeyChecking = oneOf(v, ['strict', 'accept-new', 'off'], at)),
};
/** Older names Ansible still reads. */
const ALIASES: Record<string, string> = {
  ansible_ssh_host: 'ansible_host',
  ansible_ssh_port: 'ansible_port',
  ansible_ssh_user: 'ansible_user',
  ansible_private_key_file: 'ansible_ssh_private_key_file',
};
const UNUSED_HINT =
  "The settings used are ansible_host, ansible_port, ansible_user, ansible_ssh_private_key_file, ansible_become, ansible_become_user and ansible_ssh_common_args (-J, ProxyJump, UserKnownHostsFile, StrictHostKeyChecking, ConnectTimeout), and kplay's own kplay_state_dir, kplay_password_env, kplay_passphrase_env, kplay_become_password_env and kplay_host_key_checking; remove the others, or rename a variable of your own.";
const PASSWORDS = new Set(['ansible_password', 'ansible_ssh_pass', 'ansible_ssh_password', 'ansible_become_password', 'ansible_become_pass', 'ansible_sudo_pass', 'ansible_ssh_private_key_passphrase']);

/** Takes the ansible_* settings out of a layer; problems (bad values, unknown settings) go into `problems`. */
export function settleLayer(layer: PlacedVars, problems: Diagnostic[]): SettledLayer {
  const vars: Record<string, unknown> = {};
  const keyPos = { ...layer.keyPos };
  const settings: Record<string, HostSettings> = {};
  for (const [name, value] of Object.entries(layer.vars)) {
    const pos = layer.keyPos[name] ?? { file: '', line: 1, col: 1 };
    const canonical = ALIASES[name] ?? name;
    const setter = SETTERS[canonical];
    if (setter) setter(value, (settings[canonical] = {}), { name, pos, problems });
    else if (name === 'ansible_become_user') {
      vars[BECOME_USER_VAR] = value;
      keyPos[BECOME_USER_VAR] = pos;
    } else if (PASSWORDS.has(name)) {
      const [variable, setting] = name.includes('become') || name === 'ansible_sudo_pass' ? ['kplay_become_password_env', 'becomePasswordEnv'] : name.includes('passphrase') ? ['kplay_passphrase_env', 'passphraseEnv'] : ['kplay_password_env', 'passwordEnv'];
      const hint = `Passwords come only from environment variables: name one with ${variable} (${setting} in a kplay inventory), or log in with a key (ansible_ssh_private_key_file).`;
      warn(`${name} writes a password in the inventory; kplay does not use it (nor shows it)`, hint, pos, problems);
    } else {
      if (name.startsWith('ansible_') || name.startsWith('kplay_')) warn(`${name} is ${name.startsWith('kplay_') ? 'no kplay setting' : 'an Ansible setting kplay does not use'}; it stays a variable only`, UNUSED_HINT, pos, problems);
      vars[name] = value;
    }
  }
  return { layer: { ...layer, vars, keyPos }, settings };
}

function warn(message: string, hint: string, pos: SourcePos, problems: Diagnostic[]): void {
  problems.push({ code: 'E_INVENTORY', severity: 'warning', message, hint, pos });
}

function bad(at: Place, what: string, hint: string): undefined {
  at.problems.push({ code: 'E_INVENTORY', severity: 'error', message: `${at.name} ${what}`, hint, pos: at.pos });
  return undefined;
}

function text(v: unknown, at: Place): string | undefined {
  if ((typeof v === 'string' && v !== '') || typeof v === 'number') return String(v);
  return bad(at, `must be a non-empty text, not ${JSON.stringify(v)}`, 'Write the value as text.');
}

function envName(v: unknown, at: Place): string | undefined {
  if (typeof v === 'string' && /^[A-Za-z_][A-Za-z0-9_]*$/.test(v)) return v;
  return bad(at, `names the environment variable that holds the secret, not ${typeof v === 'string' ? 'a value like this one' : JSON.stringify(v)}`, 'Give the name of an environment variable (letters, digits, _), never the secret itself.');
}

function oneOf<T extends string>(v: unknown, allowed: readonly T[], at: Place): T | undefined {
  if (allowed.includes(v as T)) return v as T;
  return bad(at, `must be one of ${allowed.join(', ')}, not ${JSON.stringify(v)}`, `Write one of ${allowed.join(', ')}.`);
}

function port(v: unknown, at: Place): number | undefined {
  const n = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v;
  if (typeof n === 'number' && Number.isInteger(n) && n >= 1 && n <= 65535) return n;
  return bad(at, `must be a port number from 1 to 65535, not ${JSON.stringify(v)}`, 'Write the SSH port as a whole number, e.g. ansible_port=2222.');
}

/** Ansible's boolean(): true, yes, on, 1 (any case) and their opposites. */
function bool(v: unknown, at: Place): boolean | undefined {
  if (typeof v === 'boolean') return v;
  const s = String(v).toLowerCase();
  if (['true', 'yes', 'on', '1', 'y', 't'].includes(s)) return true;
  if (['false', 'no', 'off', '0', 'n', 'f'].includes(s)) return false;
  return bad(at, `must be true or false, not ${JSON.stringify(v)}`, 'Write true or false.');
}

function onlyValues(v: unknown, allowed: string[], why: string, at: Place): void {
  if (typeof v === 'string' && allowed.includes(v)) return;
  warn(`${at.name}=${String(v)} is not used: ${why}`, `Remove it, or set ${allowed[0]}.`, at.pos, at.problems);
}

/** The ssh options kplay has a setting for, as `-o Name=value` names them (lower case). */
const SSH_OPTIONS: Record<string, (value: string, out: HostSettings, at: Place) => void> = {
  proxyjump: (v, out) => {
    const [first = v, ...rest] = v.split(',');
    out.jump = rest.length ? [first, ...rest] : first;
  },
  userknownhostsfile: (v, out) => (out.knownHosts = v),
  stricthostkeychecking: (v, out, at) => {
    const map: Record<string, Connection['hostKeyChecking']> = { yes: 'strict', 'accept-new': 'accept-new', no: 'off', off: 'off' };
    const policy = map[v.toLowerCase()];
    if (policy) out.hostKeyChecking = policy;
    else warn(`${at.name}: StrictHostKeyChecking=${v} is not used`, 'Use yes, accept-new or no.', at.pos, at.problems);
  },
  connecttimeout: (v, out, at) => {
    if (/^\d+$/.test(v)) out.connectTimeout = `${v}s`;
    else warn(`${at.name}: ConnectTimeout=${v} is not used`, 'Give seconds, e.g. -o ConnectTimeout=10.', at.pos, at.problems);
  },
};

/** ansible_ssh_common_args: the options kplay has settings for; any other is warned about. */
function sshArgs(v: unknown, out: HostSettings, at: Place): void {
  const words = splitWords(String(v ?? ''))?.map((w) => w.text);
  if (!words) return void bad(at, 'has a quote that is never closed', 'Close the quote.');
  const unused = (what: string) =>
    warn(`${at.name}: "${what}" is not used`, 'Only -J HOST and -o ProxyJump, UserKnownHostsFile, StrictHostKeyChecking and ConnectTimeout are used from it; put other ssh options in ~/.ssh/config.', at.pos, at.problems);
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    const m = /^-([Jo])(.*)$/.exec(w);
    // Another flag: its argument, if it has one, goes with it into the warning.
    if (!m) {
      unused(w.startsWith('-') && words[i + 1] !== undefined && !words[i + 1]!.startsWith('-') ? `${w} ${words[++i]}` : w);
      continue;
    }
    const arg = m[2] || words[++i];
    if (arg === undefined) {
      unused(w);
      continue;
    }
    const opt = m[1] === 'J' ? ['ProxyJump', arg] : /^([A-Za-z]+)(?:\s*=\s*|\s+)(.*)$/.exec(arg)?.slice(1);
    const set = opt && SSH_OPTIONS[opt[0]!.toLowerCase()];
    if (set) set(opt[1]!, out, at);
    else unused(`-${m[1]} ${arg}`);
  }
}
