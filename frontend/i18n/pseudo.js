// The pseudo-locale en-XA, made from the English catalog: every letter of
// the text accented, placeholders and ICU syntax untouched, and each
// message padded to about 140 % of its length, wrapped in [ ] so clipped
// text shows. Used by the screenshot run to find CSS that assumes a length.

const ACCENTS = {
  a: 'á', b: 'ƀ', c: 'ç', d: 'ð', e: 'é', f: 'ƒ', g: 'ĝ', h: 'ĥ', i: 'î', j: 'ĵ', k: 'ķ', l: 'ļ', m: 'ɱ',
  n: 'ñ', o: 'ö', p: 'þ', q: 'ǫ', r: 'ŕ', s: 'š', t: 'ţ', u: 'û', v: 'ṽ', w: 'ŵ', x: 'ẋ', y: 'ý', z: 'ž',
  A: 'Å', B: 'Ɓ', C: 'Ç', D: 'Ð', E: 'É', F: 'Ƒ', G: 'Ĝ', H: 'Ĥ', I: 'Î', J: 'Ĵ', K: 'Ķ', L: 'Ļ', M: 'Ṁ',
  N: 'Ñ', O: 'Ö', P: 'Þ', Q: 'Ǫ', R: 'Ŕ', S: 'Š', T: 'Ţ', U: 'Û', V: 'Ṽ', W: 'Ŵ', X: 'Ẋ', Y: 'Ý', Z: 'Ž',
};
const FILLER = 'ļöŕéɱ îþšûɱ ðöļöŕ šîţ áɱéţ çöñšéçţéţûŕ áðîþîšçîñĝ éļîţ šéð ðö éîûšɱöð ţéɱþöŕ';

/** The pseudo-localised form of one ICU message. */
export function pseudo(msg) {
  let out = '';
  let letters = 0;
  // Each entry: true = message text, false = inside an argument's header.
  const stack = [true];
  for (let i = 0; i < msg.length; i++) {
    const ch = msg[i];
    const text = stack[stack.length - 1];
    if (ch === '{') {
      stack.push(!text);
      out += ch;
    } else if (ch === '}') {
      stack.pop();
      out += ch;
    } else if (text && ch === "'" && (msg[i + 1] === '{' || msg[i + 1] === '}')) {
      // ICU quoting: copy the quoted part as it is.
      const end = msg.indexOf("'", i + 1);
      const stop = end < 0 ? msg.length : end + 1;
      out += msg.slice(i, stop);
      i = stop - 1;
    } else {
      if (text && /[A-Za-z]/.test(ch)) letters++;
      out += text ? (ACCENTS[ch] ?? ch) : ch;
    }
  }
  const pad = Math.ceil(letters * 0.4);
  return `[${out}${pad ? ' ' + FILLER.slice(0, pad).trimEnd() : ''}]`;
}

/** The whole catalog in the pseudo-locale. */
export function pseudoCatalog(catalog) {
  return Object.fromEntries(Object.entries(catalog).map(([k, v]) => [k, pseudo(v)]));
}
