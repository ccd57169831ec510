import { mount } from 'svelte';
import './app.css';
import App from './App.svelte';
import { startRouter } from './lib/router.svelte';
import { loadSession } from './lib/session.svelte';
import { detectHere, useLocale } from './lib/i18n.svelte';

startRouter();
void loadSession();
// The page shows in its language from the first paint: the ?lang=, cookie's
// or browser's catalog loads first; the account's (if it differs) follows
// loadSession.
void useLocale(detectHere())
  .catch(() => useLocale('en'))
  .finally(() => mount(App, { target: document.getElementById('app')! }));
