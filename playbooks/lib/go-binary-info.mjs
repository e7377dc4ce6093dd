#!/usr/bin/env node
// Reads what the debug playbooks need to know about a Go program from its ELF file alone, so no Go
// toolchain (and no binutils) is needed on the controller and a binary for another architecture can
// be read too:
//   node go-binary-info.mjs FILE          all facts, one "KEY<TAB>VALUE" line each
//   node go-binary-info.mjs FILE KEY      only KEY's value (empty when the file has none)
// Keys: arch (GOARCH of the ELF machine), static (yes: no PT_INTERP), dwarf (the section holding
// .debug_info, or none), go (the Go version from .go.buildinfo), then the module and build lines
// exactly as `go version -m` shows them (path, mod, dep, build). A file that is not ELF exits 2.
// The .go.buildinfo layouts are Go's own (src/debug/buildinfo/buildinfo.go): since Go 1.18 the
// strings follow the header; before, the header points at Go string headers elsewhere in memory.
import { closeSync, openSync, readSync, realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const BUILDINFO_MAGIC = Buffer.from('\xff Go buildinf:', 'latin1');
const PT_INTERP = 3;
const SHT_NOBITS = 8;
// e_machine -> GOARCH; EM_PPC64 is ppc64 or ppc64le by byte order.
const MACHINES = { 3: '386', 62: 'amd64', 40: 'arm', 183: 'arm64', 21: 'ppc64', 22: 's390x', 243: 'riscv64', 8: 'mips' };

/** The ELF file at `file` as a reader of its header, sections and segments (only the bytes asked for are read). */
class ElfFile {
  constructor(file) {
    this.fd = openSync(file, 'r');
    const id = this.bytes(0, 64);
    if (id.length < 52 || id.readUInt32BE(0) !== 0x7f454c46) throw new NotElf(`${file} is not an ELF file`);
    this.is64 = id[4] === 2;
    this.le = id[5] === 1;
    const h = (off32, off64, size) => this.uint(id, this.is64 ? off64 : off32, size);
    this.machine = this.uint(id, 18, 2);
    this.phoff = h(28, 32, this.is64 ? 8 : 4);
    this.shoff = h(32, 40, this.is64 ? 8 : 4);
    this.phentsize = h(42, 54, 2);
    this.phnum = h(44, 56, 2);
    this.shentsize = h(46, 58, 2);
    this.shnum = h(48, 60, 2);
    this.shstrndx = h(50, 62, 2);
  }

  close() {
    closeSync(this.fd);
  }

  bytes(offset, length) {
    const buf = Buffer.alloc(length);
    const n = readSync(this.fd, buf, 0, length, offset);
    return buf.subarray(0, n);
  }

  uint(buf, offset, size, le = this.le) {
    if (size === 1) return buf[offset];
    if (size === 2) return le ? buf.readUInt16LE(offset) : buf.readUInt16BE(offset);
    if (size === 4) return le ? buf.readUInt32LE(offset) : buf.readUInt32BE(offset);
    return Number(le ? buf.readBigUInt64LE(offset) : buf.readBigUInt64BE(offset));
  }

  arch() {
    const name = MACHINES[this.machine] ?? `elf-machine-${this.machine}`;
    return name === 'ppc64' && this.le ? 'ppc64le' : name;
  }

  segments() {
    const out = [];
    for (let i = 0; i < this.phnum; i++) {
      const p = this.bytes(this.phoff + i * this.phentsize, this.phentsize);
      const w = this.is64 ? 8 : 4;
      const at = this.is64 ? [8, 16, 32] : [4, 8, 16];
      out.push({ type: this.uint(p, 0, 4), offset: this.uint(p, at[0], w), vaddr: this.uint(p, at[1], w), filesz: this.uint(p, at[2], w) });
    }
    return out;
  }

  sections() {
    if (this.shnum === 0) return [];
    const w = this.is64 ? 8 : 4;
    const at = this.is64 ? [16, 24, 32] : [12, 16, 20];
    const raw = [];
    for (let i = 0; i < this.shnum; i++) {
      const s = this.bytes(this.shoff + i * this.shentsize, this.shentsize);
      raw.push({ nameOff: this.uint(s, 0, 4), type: this.uint(s, 4, 4), addr: this.uint(s, at[0], w), offset: this.uint(s, at[1], w), size: this.uint(s, at[2], w) });
    }
    const names = raw[this.shstrndx] ? this.bytes(raw[this.shstrndx].offset, raw[this.shstrndx].size) : Buffer.alloc(0);
    return raw.map((s) => ({ ...s, name: names.toString('latin1', s.nameOff, names.indexOf(0, s.nameOff)) }));
  }

  /** The bytes at a virtual address, through the loaded segment that holds them. */
  at(vaddr, length) {
    const seg = this.segments().find((p) => p.type === 1 && vaddr >= p.vaddr && vaddr + length <= p.vaddr + p.filesz);
    if (!seg) throw new Error(`address 0x${vaddr.toString(16)} is outside the file's segments`);
    return this.bytes(seg.offset + (vaddr - seg.vaddr), length);
  }
}

class NotElf extends Error {}

function uvarint(buf, offset) {
  let value = 0;
  let shift = 0;
  for (let i = offset; i < buf.length; i++) {
    value += (buf[i] & 0x7f) * 2 ** shift;
    if (buf[i] < 0x80) return { value, next: i + 1 };
    shift += 7;
  }
  throw new Error('truncated varint in .go.buildinfo');
}

/** Go's version and module text from .go.buildinfo, or undefined for a file Go did not build. */
function readBuildInfo(elf, sections) {
  const sec = sections.find((s) => s.name === '.go.buildinfo');
  if (!sec) return undefined;
  const data = elf.bytes(sec.offset, Math.min(sec.size, 64 * 1024));
  if (!data.subarray(0, 14).equals(BUILDINFO_MAGIC)) return undefined;
  const ptrSize = data[14];
  const flags = data[15];
  let version;
  let mod;
  if (flags & 2) {
    const v = uvarint(data, 32);
    version = data.toString('utf8', v.next, v.next + v.value);
    const m = uvarint(data, v.next + v.value);
    mod = data.toString('utf8', m.next, m.next + m.value);
  } else {
    const bigEndian = (flags & 1) === 1;
    const readString = (ptrAt) => {
      const header = elf.at(elf.uint(data, ptrAt, ptrSize, !bigEndian), 2 * ptrSize);
      const addr = elf.uint(header, 0, ptrSize, !bigEndian);
      const len = elf.uint(header, ptrSize, ptrSize, !bigEndian);
      return len === 0 ? '' : elf.at(addr, len).toString('utf8');
    };
    version = readString(16);
    mod = readString(16 + ptrSize);
  }
  // The module text is wrapped in 16-byte sentinels (runtime/debug's modinfo).
  if (mod.length >= 33 && mod[mod.length - 17] === '\n') mod = mod.slice(16, -16);
  return { version, mod };
}

/**
 * The facts about `file`, as [key, value] pairs in the order they are printed.
 * @param {string} file
 * @returns {[string, string][]}
 */
export function goBinaryInfo(file) {
  const elf = new ElfFile(file);
  try {
    const sections = elf.sections();
    const dwarf = sections.find((s) => (s.name === '.debug_info' || s.name === '.zdebug_info') && s.type !== SHT_NOBITS && s.size > 0);
    /** @type {[string, string][]} */
    const facts = [
      ['arch', elf.arch()],
      ['static', elf.segments().some((p) => p.type === PT_INTERP) ? 'no' : 'yes'],
      ['dwarf', dwarf ? dwarf.name : 'none'],
    ];
    const info = readBuildInfo(elf, sections);
    if (info) {
      facts.push(['go', info.version]);
      for (const line of info.mod.split('\n').filter(Boolean)) {
        const tab = line.indexOf('\t');
        facts.push(tab < 0 ? [line, ''] : [line.slice(0, tab), line.slice(tab + 1)]);
      }
    }
    return facts;
  } finally {
    elf.close();
  }
}

function main(argv) {
  const [file, key] = argv;
  if (!file) {
    process.stderr.write('usage: go-binary-info.mjs FILE [KEY]\n');
    return 64;
  }
  let facts;
  try {
    facts = goBinaryInfo(file);
  } catch (err) {
    process.stderr.write(`${err instanceof NotElf ? err.message : `${file} cannot be read: ${err.message}`}\n`);
    return 2;
  }
  const lines = key ? facts.filter(([k]) => k === key).map(([, v]) => v) : facts.map(([k, v]) => `${k}\t${v}`);
  process.stdout.write(lines.length ? `${lines.join('\n')}\n` : '');
  return 0;
}

// Run as a script (also through a symlinked lib folder), not when imported.
const invoked = process.argv[1] ? pathToFileURL(realpathSync(process.argv[1])).href : '';
if (import.meta.url === invoked) process.exitCode = main(process.argv.slice(2));
