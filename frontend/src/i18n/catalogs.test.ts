// Every catalog has every key, no key is unused, placeholders agree across
// languages, every message compiles, and no component outside the allowlist
// holds user-visible literal text, nor any lib/*.ts module an English sentence.
import { describe, expect, it } from 'vitest';
import MessageFormat from '@messageformat/core';
import { literals, placeholders, sentences } from './lint';

const catalogs = import.meta.glob<Record<string, string>>('./*.json', { eager: true, import: 'default' });
const sources = import.meta.glob<string>(['../**/*.ts', '../**/*.svelte', '!../**/*.test.ts', '!../lib/api-types.ts'], {
  eager: true,
  import: 'default',
  query: '?raw',
});

const CODES = ['en', 'es', 'fr', 'de', 'it', 'pt'];
const byCode = Object.fromEntries(Object.entries(catalogs).map(([path, c]) => [path.replace(/^\.\/|\.json$/g, ''), c]));
const en = byCode.en;

/**
 * Components not converted yet (other work was changing them). This list
 * is the to-do list: it only shrinks, and a file on it that no longer holds
 * a literal fails the test so it comes off.
 */
export const ALLOWLIST: string[] = [];

describe('catalogs', () => {
  it('exist for every language', () => {
    expect(Object.keys(byCode).sort()).toEqual([...CODES].sort());
  });
  for (const code of CODES) {
    it(`${code} has exactly the English keys`, () => {
      const keys = Object.keys(byCode[code]);
      expect(keys.filter((k) => !(k in en)), 'keys not in en.json').toEqual([]);
      expect(Object.keys(en).filter((k) => !(k in byCode[code])), `keys missing from ${code}.json`).toEqual([]);
    });
    it(`${code}: every message compiles and its placeholders match English`, () => {
      const mf = new MessageFormat(code);
      const bad: string[] = [];
      for (const [key, msg] of Object.entries(byCode[code])) {
        expect(msg.trim(), `${code} ${key} is empty`).not.toBe('');
        mf.compile(msg);
        if (placeholders(msg).join() !== placeholders(en[key]).join()) bad.push(`${key}: ${placeholders(msg)} ≠ ${placeholders(en[key])}`);
      }
      expect(bad).toEqual([]);
    });
  }
  it('has no unused keys', () => {
    const all = Object.values(sources).join('\n');
    const unused = Object.keys(en).filter((k) => !all.includes(`'${k}'`));
    expect(unused).toEqual([]);
  });
});

describe('no literal text in components', () => {
  // Components: visible text in markup. Library modules (lib/*.ts): string
  // literals that read as English sentences (messages built in code).
  const lint = (p: string, src: string) => (p.endsWith('.svelte') ? literals(src) : sentences(src));
  const files = Object.entries(sources)
    .map(([p, src]) => [p.replace(/^\.\.\//, ''), src] as const)
    .filter(([p]) => p.endsWith('.svelte') || /^lib\/[^/]+\.ts$/.test(p));
  it('sees the components and the library', () => {
    expect(files.filter(([p]) => p.endsWith('.svelte')).length).toBeGreaterThan(30);
    expect(files.filter(([p]) => p.endsWith('.ts')).length).toBeGreaterThan(15);
  });
  it('outside the allowlist', () => {
    const found = files
      .filter(([p]) => !ALLOWLIST.includes(p))
      .flatMap(([p, src]) => lint(p, src).map((l) => `${p}:${l.line}: ${l.text}`));
    expect(found).toEqual([]);
  });
  it('allowlist holds only files that still need converting', () => {
    const done = ALLOWLIST.filter((p) => {
      const f = files.find(([q]) => q === p);
      return !f || lint(p, f[1]).length === 0;
    });
    expect(done).toEqual([]);
  });
});
