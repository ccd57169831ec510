// The state around a request a page makes: whether it is under way and how
// it failed, so every page shows the same thing without its own try/catch.
import { ApiError } from './api';

/** Something the user asks for (a submit, a button): busy while it runs. */
export class Action {
  busy = $state(false);
  error = $state<unknown>(null);

  /** Runs work, keeping its failure in error; resolves to whether it succeeded. */
  run = async (work: () => Promise<void>): Promise<boolean> => {
    this.busy = true;
    this.error = null;
    try {
      await work();
      return true;
    } catch (e) {
      this.error = e;
      return false;
    } finally {
      this.busy = false;
    }
  };

  /** The server's message for one field of the failed request, if any. */
  field = (name: string): string | undefined => (this.error instanceof ApiError ? this.error.field(name) : undefined);
}

/** A value a page loads (and can load again), with the failure to show. */
export class Loaded<T> {
  value = $state<T | null>(null);
  error = $state<unknown>(null);

  constructor(private readonly fetch: () => Promise<T>) {}

  load = async (): Promise<void> => {
    this.error = null;
    try {
      this.value = await this.fetch();
    } catch (e) {
      this.error = e;
    }
  };
}
