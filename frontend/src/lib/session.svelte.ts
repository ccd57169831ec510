// The signed-in user, shared by every page.
import { api, setCsrfToken, type User } from './api';
import { reconnectLive } from './live';

export const session = $state<{ user: User | null; loaded: boolean; error: string }>({
  user: null,
  loaded: false,
  error: '',
});

export async function loadSession(): Promise<void> {
  try {
    session.user = await api.me();
    session.error = '';
  } catch (e) {
    session.user = null;
    session.error = e instanceof Error ? e.message : String(e);
  } finally {
    session.loaded = true;
  }
}

export function signedIn(u: User): void {
  session.user = u;
  session.loaded = true;
  reconnectLive();
  // Fetch /me once more for the CSRF token header, if the server hands one out.
  void api.me().then((x) => {
    if (x) session.user = x;
  }).catch(() => {});
}

export async function logout(): Promise<void> {
  try {
    await api.logout();
  } finally {
    session.user = null;
    setCsrfToken(null);
    reconnectLive();
  }
}
