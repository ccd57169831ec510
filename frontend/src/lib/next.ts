import type { AuthResult } from './api';
import { navigate } from './router.svelte';
import { signedIn } from './session.svelte';

/** The ?next= target after logging in, limited to this site's paths. */
export function nextPath(): string {
  const n = new URLSearchParams(location.search).get('next') ?? '/';
  return n.startsWith('/') && !n.startsWith('//') ? n : '/';
}

/** After a login or signup: the session takes the user, and the app goes on to ?next=. */
export function enterAs(auth: AuthResult): void {
  signedIn(auth.user);
  navigate(nextPath(), { replace: true });
}
