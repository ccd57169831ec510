// Vite plugin: `import('virtual:messages/es')` is the Spanish catalog
// (src/i18n/es.json, ICU MessageFormat) compiled at build time by
// @messageformat/core into plain functions; only the tiny
// @messageformat/runtime helpers and the language's plural rule ship, never
// an ICU parser. `virtual:messages/en-XA` is the pseudo-locale made from en.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import MessageFormat from '@messageformat/core';
import compileModule from '@messageformat/core/compile-module.js';
import { pseudoCatalog } from './pseudo.js';

const PREFIX = 'virtual:messages/';
const dir = fileURLToPath(new URL('../src/i18n/', import.meta.url));

export function catalogPath(code) {
  return `${dir}${code}.json`;
}

/** The ES module source of a compiled catalog. */
export function compileCatalog(code) {
  const base = code === 'en-XA' ? 'en' : code;
  let messages = JSON.parse(readFileSync(catalogPath(base), 'utf8'));
  if (code === 'en-XA') messages = pseudoCatalog(messages);
  // Our Portuguese is European (see glossary/pt.md): its plural rule
  // counts zero as plural ("0 votos"), Brazil's does not.
  const mf = new MessageFormat(base === 'pt' ? 'pt-PT' : base, { strict: false });
  return compileModule(mf, messages);
}

export function messages() {
  return {
    name: 'hubtalks-messages',
    resolveId(id) {
      if (id.startsWith(PREFIX)) return '\0' + id;
      return null;
    },
    load(id) {
      if (!id.startsWith('\0' + PREFIX)) return null;
      const code = id.slice(1 + PREFIX.length);
      if (!/^(en|es|fr|de|it|pt|en-XA)$/.test(code)) throw new Error(`unknown catalog ${code}`);
      this.addWatchFile(catalogPath(code === 'en-XA' ? 'en' : code));
      return compileCatalog(code);
    },
  };
}
