/** The ?next= target after logging in, limited to this site's paths. */
export function nextPath(): string {
  const n = new URLSearchParams(location.search).get('next') ?? '/';
  return n.startsWith('/') && !n.startsWith('//') ? n : '/';
}
