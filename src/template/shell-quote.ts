// The same set Python's shlex.quote leaves bare: none of these mean anything to sh.
const SAFE_WORD = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** POSIX sh single-quotes a string, leaving plain words bare (like Python's shlex.quote). */
export function shellQuote(s: string): string {
  if (SAFE_WORD.test(s)) return s;
  // Inside single quotes nothing is special except the closing quote itself, which has to
  // be ended, emitted in double quotes, and reopened.
  return `'${singleQuotedBody(s)}'`;
}

/** `s` as it reads between single quotes: each quote ended, given in double quotes, and reopened. */
export function singleQuotedBody(s: string): string {
  return s.replaceAll("'", `'"'"'`);
}
