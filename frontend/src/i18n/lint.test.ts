import { describe, expect, it } from 'vitest';
import { literals, placeholders, sentences } from './lint';

describe('literal text lint', () => {
  it('catches a text node with letters', () => {
    expect(literals('<p>Hello there</p>')).toEqual([{ line: 1, text: 'Hello there' }]);
  });
  it('catches text around expressions and on later lines', () => {
    const found = literals('<div>\n  {#if x}\n    <b>{n}</b> seats left\n  {/if}\n</div>');
    expect(found).toEqual([{ line: 3, text: 'seats left' }]);
  });
  it('catches readable attributes, not others', () => {
    expect(literals('<button aria-label="Close" class="btn x" data-testid="close">×</button>')).toEqual([{ line: 1, text: 'aria-label="Close"' }]);
    expect(literals('<input placeholder="Search…" />').length).toBe(1);
    expect(literals('<img alt="Speaker photo" src="a.png" />').length).toBe(1);
    expect(literals('<TextField label="Email" />').length).toBe(1);
  });
  it('lets catalog messages, symbols, scripts, styles and comments through', () => {
    const ok = `<script lang="ts">\n  const s = 'Not text';\n</script>\n<!-- a comment -->\n<p title={t('x')}>{t('a.b')}</p>\n<span>● · ▶ #{tag} 42 &nbsp;</span>\n<a href="/x" class="btn">{label}</a>\n<button onclick={() => { go('y > z'); }}>{t('go')}</button>\n<style>\n  p { color: red; }\n</style>`;
    expect(literals(ok)).toEqual([]);
  });
  it('takes keys and code as they are', () => {
    expect(literals('<p><kbd>j</kbd>/<kbd>k</kbd> {t(\'x\')} <code>webcal</code></p>')).toEqual([]);
  });
  it('is not fooled by > in an expression inside a tag', () => {
    expect(literals('<button onclick={() => (open = a > b)}>Open</button>')).toEqual([{ line: 1, text: 'Open' }]);
  });
});

describe('placeholders', () => {
  it('names arguments of plain, plural and nested select messages', () => {
    expect(placeholders('Hi {name}')).toEqual(['name']);
    expect(placeholders('{n, plural, one {# vote by {who}} other {# votes}}')).toEqual(['n', 'who']);
    expect(placeholders('{a, select, x {{b, number}} other {}}')).toEqual(['a', 'b']);
  });
});

describe('literal strings in expressions', () => {
  it('catches text chosen in an expression', () => {
    expect(literals("<p>{busy ? 'Saving…' : 'Save'}</p>").map((l) => l.text)).toEqual(['Saving…', 'Save']);
    expect(literals(`<Loading label={x ? 'Loading the talk…' : ''} />`).map((l) => l.text)).toEqual(['Loading the talk…']);
  });
  it('lets comparisons, ids, keys and class names through', () => {
    expect(literals("<p class={a ? 'btn small' : 'btn'}>{s === 'open' ? t('poll.live') : t('poll.results', { kind: 'words' })}</p>")).toEqual([]);
  });
});

describe('English sentences in modules', () => {
  it('catches a sentence or a phrase in any kind of quotes', () => {
    const src = "const a = 'Network error';\nthrow new Error(\"Something went wrong.\");\nconst b = `Imported ${n} videos`;\nconst c = { q: 'Where are you joining from?' };";
    expect(sentences(src)).toEqual([
      { line: 1, text: 'Network error' },
      { line: 2, text: 'Something went wrong.' },
      { line: 3, text: 'Imported ${n} videos' },
      { line: 4, text: 'Where are you joining from?' },
    ]);
  });
  it('lets code, single words, headers, paths and comments through', () => {
    const src = [
      "// Turns 'the email is wrong' into 'The email is wrong.'",
      "/** \"Spanish\" for \"es\", e.g. 'Europe/Lisbon' → 'Lisbon'. */",
      "headers['Content-Type'] = 'application/json';",
      "const z = 'Europe/Brussels', w = 'Anonymous', u = 'https://example.org/a b';",
      "t('live.askDone', { name: 'x y' }); const k = 'hubtalks.present.names';",
      "const s = `${a} ${b}`;",
    ].join('\n');
    expect(sentences(src)).toEqual([]);
  });
});
