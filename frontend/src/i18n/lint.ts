// The i18n checks of `npm test`: catalogs agree with each other and with the
// source, and .svelte markup holds no user-visible literal text.
import { parse, type Token } from '@messageformat/parser';

/** The argument names a message uses (placeholders, plural/select arguments), sorted. */
export function placeholders(msg: string): string[] {
  const out = new Set<string>();
  const walk = (tokens: Token[]) => {
    for (const tk of tokens) {
      if (tk.type === 'argument') out.add(tk.arg);
      else if (tk.type === 'function') {
        out.add(tk.arg);
        if (tk.param) walk(tk.param);
      } else if (tk.type === 'plural' || tk.type === 'select' || tk.type === 'selectordinal') {
        out.add(tk.arg);
        for (const c of tk.cases) walk(c.tokens);
      }
    }
  };
  walk(parse(msg));
  return [...out].sort();
}

/** Attributes whose quoted value a person reads (or hears). */
const TEXT_ATTRS = new Set(['aria-label', 'aria-description', 'aria-placeholder', 'aria-roledescription', 'title', 'placeholder', 'alt', 'label', 'help']);

export interface Literal {
  line: number;
  text: string;
}

const LETTER = /\p{L}/u;

/** Replaces a block by as many newlines as it had, so line numbers stay right. */
const blank = (s: string) => s.replace(/[^\n]/g, '');

/**
 * The user-visible literal text in a Svelte component: text nodes with a
 * letter, and quoted values of TEXT_ATTRS with a letter (outside {…}).
 * Scripts, styles, comments, {expressions} and HTML entities are not text.
 */
export function literals(source: string): Literal[] {
  const src = source
    .replace(/<script[\s\S]*?<\/script>/g, blank)
    .replace(/<style[\s\S]*?<\/style>/g, blank)
    .replace(/<!--[\s\S]*?-->/g, blank)
    // Keys and code are not words to translate: <kbd>j</kbd>, <code>webcal</code>.
    .replace(/<(kbd|code)>[^<{]*<\/\1>/g, blank);
  const found: Literal[] = [];
  let line = 1;
  let text = '';
  let textLine = 1;
  const flush = () => {
    const clean = text.replace(/&[#\w]+;/g, ' ').trim();
    if (LETTER.test(clean)) found.push({ line: textLine, text: clean.replace(/\s+/g, ' ') });
    text = '';
  };
  // Skips a {…} expression (nested braces, strings, template literals) from i, returns the index after it.
  // With `check`, a string that is the expression's value (after `{`, `?`, `:`, `??`, `||`, `&&`) and reads
  // like text (a letter, and a space or a capital first letter) is a literal too: {busy ? 'Saving…' : 'Save'}.
  const skipExpr = (i: number, check = false): number => {
    let depth = 0;
    for (; i < src.length; i++) {
      const ch = src[i];
      if (ch === '\n') line++;
      if (ch === '{') depth++;
      else if (ch === '}') {
        depth--;
        if (depth === 0) return i + 1;
      } else if (ch === "'" || ch === '"' || ch === '`') {
        const before = src.slice(Math.max(0, i - 3), i).trimEnd();
        const start = line;
        let value = '';
        for (i++; i < src.length && src[i] !== ch; i++) {
          if (src[i] === '\\') i++;
          else if (src[i] === '\n') line++;
          else if (ch === '`' && src[i] === '$' && src[i + 1] === '{') {
            i = skipExpr(i + 1) - 1;
            value += ' ';
            continue;
          }
          value += src[i];
        }
        if (check && /(\{|\?|:|\?\?|\|\||&&)$/.test(before) && LETTER.test(value) && (/\s/.test(value.trim()) || /^\p{Lu}/u.test(value)))
          found.push({ line: start, text: value.trim() });
      }
    }
    return i;
  };
  const skipTag = (i: number): number => {
    // i at '<'; attributes: name="value" | name='value' | name={expr} | {expr}
    for (i++; i < src.length; ) {
      const ch = src[i];
      if (ch === '>') return i + 1;
      if (ch === '\n') line++;
      if (ch === '{') {
        const name = /([\w:-]+)\s*=\s*$/.exec(src.slice(Math.max(0, i - 40), i))?.[1] ?? '';
        i = skipExpr(i, TEXT_ATTRS.has(name));
        continue;
      }
      if (ch === '"' || ch === "'") {
        const name = /([\w:-]+)\s*=\s*$/.exec(src.slice(Math.max(0, i - 40), i))?.[1] ?? '';
        const start = line;
        let value = '';
        for (i++; i < src.length && src[i] !== ch; i++) {
          if (src[i] === '{') {
            i = skipExpr(i) - 1;
            continue;
          }
          if (src[i] === '\n') line++;
          value += src[i];
        }
        if (TEXT_ATTRS.has(name) && LETTER.test(value.replace(/&[#\w]+;/g, ''))) found.push({ line: start, text: `${name}="${value.trim()}"` });
        i++;
        continue;
      }
      i++;
    }
    return i;
  };
  for (let i = 0; i < src.length; ) {
    const ch = src[i];
    if (ch === '<' && /[A-Za-z/!]/.test(src[i + 1] ?? '')) {
      flush();
      i = skipTag(i);
      textLine = line;
    } else if (ch === '{') {
      flush();
      i = skipExpr(i, true);
      textLine = line;
    } else {
      if (!text.trim()) textLine = line;
      if (ch === '\n') line++;
      text += ch;
      i++;
    }
  }
  flush();
  return found;
}

/**
 * A string that is plainly an English sentence or phrase: a capital, then
 * lowercase, then more words separated by spaces (commas, apostrophes and
 * hyphens inside), and at most an end mark. Single words ("Yes"), header
 * names ("Content-Type"), paths, ids and code are left alone: in a .ts file
 * those are far more often code than text, and a lint that cries wolf gets
 * switched off.
 */
const SENTENCE = /^\p{Lu}\p{Ll}+(?:[,’'-]?\s+[\p{L}’'-]+)+[.?!…:]?$/u;

/**
 * The English sentences among the string literals of a TypeScript module
 * (comments skipped; `${…}` in a template literal counts as a word).
 */
export function sentences(source: string): Literal[] {
  // Comments out, line breaks kept (a // inside a string such as a URL is not one).
  const src = source.replace(/\/\*[\s\S]*?\*\/|(['"`])(?:\\.|(?!\1)[^\\])*\1|\/\/[^\n]*/g, (m) => (m.startsWith('/') ? blank(m) : m));
  const found: Literal[] = [];
  const re = /(['"`])((?:\\.|(?!\1)[^\\])*)\1/g;
  for (let m; (m = re.exec(src)); ) {
    const value = m[2].replace(/\$\{[^}]*\}/g, 'x');
    if (!value.includes('\n') && SENTENCE.test(value)) found.push({ line: src.slice(0, m.index).split('\n').length, text: m[2] });
  }
  return found;
}
