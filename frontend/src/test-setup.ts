// Unit tests run with the English catalog loaded, as the app does by default.
import { useLocale } from './lib/i18n.svelte';

await useLocale('en');
