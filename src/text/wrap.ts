/**
 * Words of `text` in lines of at most `width` characters (a longer word keeps a line of its own);
 * each paragraph (a line of `text`) starts a new line. For kplay's own prose (descriptions), which
 * carries no terminal escapes: `wrap-ansi` would measure such text the same, but loading it sets
 * up an Intl.Segmenter, a noticeable part of every start of `kplay plan`.
 */
export function wrapWords(text: string, width: number): string[] {
  const lines: string[] = [];
  for (const para of text.split('\n')) {
    let line = '';
    for (const word of para.split(/\s+/).filter(Boolean)) {
      if (line && [...line].length + [...word].length + 1 > width) {
        lines.push(line);
        line = word;
      } else line = line ? `${line} ${word}` : word;
    }
    if (line) lines.push(line);
  }
  return lines;
}
