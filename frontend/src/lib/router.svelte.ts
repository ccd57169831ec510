// A tiny History API router: the current path in reactive state, link
// clicks intercepted, and pattern matching with named parameters.

export const route = $state({ path: location.pathname, search: location.search });

export function navigate(to: string, opts: { replace?: boolean } = {}): void {
  const u = new URL(to, location.href);
  if (u.pathname + u.search === location.pathname + location.search) return;
  if (opts.replace) history.replaceState(null, '', u.pathname + u.search + u.hash);
  else history.pushState(null, '', u.pathname + u.search + u.hash);
  route.path = u.pathname;
  route.search = u.search;
  if (!opts.replace) window.scrollTo(0, 0);
}

/** Updates the query string without a new history entry (filters, tabs). */
export function setQuery(params: Record<string, string | null | undefined>): void {
  const u = new URL(location.href);
  for (const [k, v] of Object.entries(params)) {
    if (v) u.searchParams.set(k, v);
    else u.searchParams.delete(k);
  }
  history.replaceState(null, '', u.pathname + u.search);
  route.search = u.search;
}

export function startRouter(): void {
  window.addEventListener('popstate', () => {
    route.path = location.pathname;
    route.search = location.search;
  });
  document.addEventListener('click', (e) => {
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    const a = (e.target as Element | null)?.closest?.('a');
    if (!a || a.target || a.hasAttribute('download') || a.dataset.external !== undefined) return;
    const href = a.getAttribute('href');
    if (!href || href.startsWith('#')) return;
    const u = new URL(href, location.href);
    if (u.origin !== location.origin || u.pathname.startsWith('/api/')) return;
    e.preventDefault();
    navigate(u.pathname + u.search + u.hash);
  });
}

/** Matches "/talks/:ref/live" against a path; returns the params or null. */
export function match(pattern: string, path: string): Record<string, string> | null {
  const ps = pattern.split('/').filter(Boolean);
  const xs = path.replace(/\/+$/, '').split('/').filter(Boolean);
  if (ps.length !== xs.length) return null;
  const out: Record<string, string> = {};
  for (let i = 0; i < ps.length; i++) {
    if (ps[i].startsWith(':')) out[ps[i].slice(1)] = decodeURIComponent(xs[i]);
    else if (ps[i] !== xs[i]) return null;
  }
  return out;
}
