// The app's own confirm and prompt (instead of the browser's): one modal
// <dialog> (components/Dialogs.svelte, mounted once by App.svelte) that a
// page asks through and awaits.

export interface DialogRequest {
  title: string;
  message?: string;
  /** With a text field: its label (the answer is the text typed). */
  input?: { label: string; placeholder?: string; maxlength?: number };
  confirm: string;
  cancel?: string;
  danger?: boolean;
}

interface Open extends DialogRequest {
  resolve: (answer: string | null) => void;
}

export const dialog = $state<{ open: Open | null }>({ open: null });

function show(r: DialogRequest): Promise<string | null> {
  dialog.open?.resolve(null);
  return new Promise((resolve) => (dialog.open = { ...r, resolve }));
}

/** Asks a yes/no question; resolves true when confirmed. */
export async function confirmDialog(r: Omit<DialogRequest, 'input'>): Promise<boolean> {
  return (await show(r)) !== null;
}

/** Asks for a text; resolves to it (trimmed, not empty), or null when cancelled. */
export async function promptDialog(r: DialogRequest & { input: NonNullable<DialogRequest['input']> }): Promise<string | null> {
  const a = await show(r);
  return a && a.trim() ? a.trim() : null;
}
