// go-binary-info.mjs, the reader the playbooks use for a binary's architecture, linking, DWARF and Go
// build information, on real Go builds (cross-compiled for arm64 where another architecture is needed)
// and compared with what go version -m and readelf say about the same files.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import { REPO_ROOT, writeTree } from './helpers/files.js';
import { goBinaryInfo } from '../playbooks/lib/go-binary-info.mjs';

const SCRIPT = path.join(REPO_ROOT, 'playbooks/lib/go-binary-info.mjs');
const missing = existsSync('/usr/bin/go') && existsSync('/usr/bin/readelf') ? undefined : 'needs golang-go and binutils (scripts/install-test-deps.sh)';
const facts = (file: string) => new Map(goBinaryInfo(file));

describe('go-binary-info.mjs on real Go builds', { skip: missing }, () => {
  let dir = '';
  const build = (name: string, env: Record<string, string>, ...flags: string[]): string => {
    const out = path.join(dir, 'out', name);
    execFileSync('go', ['build', ...flags, '-o', out, '.'], { cwd: dir, env: { ...process.env, GOCACHE: path.join(dir, '.cache'), GOFLAGS: '', GOPROXY: 'off', ...env }, stdio: 'pipe' });
    return out;
  };
  before(() => {
    dir = writeTree({ 'go.mod': 'module example.com/reader\n\ngo 1.19\n', 'main.go': 'package main\n\nimport "fmt"\n\nfunc main() { fmt.Println("hi") }\n' });
    mkdirSync(path.join(dir, 'out'));
  });

  test('architecture, static linking, DWARF and the build lines agree with go version -m and readelf', () => {
    const amd = build('amd64', { CGO_ENABLED: '0', GOARCH: 'amd64' }, '-gcflags=all=-N -l');
    const arm = build('arm64', { CGO_ENABLED: '0', GOARCH: 'arm64' });
    const stripped = build('stripped', { CGO_ENABLED: '0' }, '-ldflags=-s -w');
    const a = facts(amd);
    assert.equal(a.get('arch'), 'amd64');
    assert.equal(a.get('static'), 'yes');
    assert.equal(a.get('dwarf'), '.debug_info');
    assert.equal(a.get('go'), execFileSync('go', ['env', 'GOVERSION'], { encoding: 'utf8' }).trim());
    assert.equal(a.get('path'), 'example.com/reader');
    const goBuild = execFileSync('go', ['version', '-m', amd], { encoding: 'utf8' }).split('\n').filter((l) => l.startsWith('\tbuild\t')).map((l) => l.slice('\tbuild\t'.length));
    assert.deepEqual(goBinaryInfo(amd).filter(([k]) => k === 'build').map(([, v]) => v), goBuild);
    assert.equal(facts(arm).get('arch'), 'arm64');
    assert.match(execFileSync('readelf', ['-h', arm], { encoding: 'utf8' }), /Machine:\s+AArch64/);
    assert.equal(facts(stripped).get('dwarf'), 'none');
    // A dynamically linked program (Debian's own dlv, built with cgo) has an interpreter.
    if (existsSync('/usr/bin/dlv')) assert.equal(facts('/usr/bin/dlv').get('static'), 'no');
    // One key only, as the playbooks ask for it; a missing key prints nothing.
    const one = spawnSync('node', [SCRIPT, arm, 'arch'], { encoding: 'utf8' });
    assert.equal(one.stdout, 'arm64\n');
    assert.equal(spawnSync('node', [SCRIPT, arm, 'no-such-key'], { encoding: 'utf8' }).stdout, '');
    const notElf = spawnSync('node', [SCRIPT, path.join(dir, 'main.go')], { encoding: 'utf8' });
    assert.equal(notElf.status, 2);
    assert.match(notElf.stderr, /main\.go is not an ELF file/);
  });

  // Go before 1.18 wrote .go.buildinfo as two pointers to Go string headers. Only Go 1.19 is here, so
  // a go1.19 build is rewritten into that layout: the string headers go into .noptrdata (the program is
  // never run) and point at the version and module text that the 1.18 layout had inline.
  test('the layout of Go before 1.18 (pointers to string headers) is read too', () => {
    const bin = build('old-layout', { CGO_ENABLED: '0' }, '-gcflags=all=-N -l');
    const before = goBinaryInfo(bin);
    const sections = execFileSync('readelf', ['-SW', bin], { encoding: 'utf8' });
    const section = (name: string) => {
      const m = new RegExp(`\\] ${name.replace(/\./g, '\\.')}\\s+\\S+\\s+([0-9a-f]+) ([0-9a-f]+)`).exec(sections);
      assert.ok(m, name);
      return { addr: BigInt(`0x${m[1]}`), off: Number.parseInt(m[2]!, 16) };
    };
    const info = section('.go.buildinfo');
    const noptr = section('.noptrdata');
    const data = readFileSync(bin);
    const at = info.off;
    assert.equal(data[at + 15]! & 2, 2, 'built with the inline layout');
    const vlen = data[at + 32]!;
    let i = at + 33 + vlen;
    let mlen = 0;
    for (let shift = 0; ; shift += 7, i++) {
      mlen += (data[i]! & 0x7f) << shift;
      if (data[i]! < 0x80) break;
    }
    const modAt = i + 1 - at;
    data[at + 15] = 0; // little-endian pointers, not inline
    data.writeBigUInt64LE(noptr.addr, at + 16);
    data.writeBigUInt64LE(noptr.addr + 16n, at + 24);
    data.writeBigUInt64LE(info.addr + 33n, noptr.off);
    data.writeBigUInt64LE(BigInt(vlen), noptr.off + 8);
    data.writeBigUInt64LE(info.addr + BigInt(modAt), noptr.off + 16);
    data.writeBigUInt64LE(BigInt(mlen), noptr.off + 24);
    data[at + 32] = 0; // what the inline layout would read as the version's length: only the pointers lead to it
    const old = `${bin}-pre118`;
    writeFileSync(old, data);
    assert.deepEqual(goBinaryInfo(old), before);
  });
});
