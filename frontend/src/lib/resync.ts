/**
 * A list kept from an HTTP snapshot plus live events. Events that arrive
 * while a snapshot loads are kept and applied on top of it, and of
 * overlapping loads (a reconnect while the page still loads) only the
 * newest applies: an older answer would undo newer events.
 */
export class Resync<E> {
  private missed: E[] | null = null;
  private loads = 0;

  /** Keeps ev for the snapshot under way, if one is. */
  note(ev: E): void {
    this.missed?.push(ev);
  }

  /**
   * Loads a snapshot: `settle` gets it with the events that came meanwhile,
   * `fail` its error, and `done` runs after either; none of them runs for
   * a load that a newer one has overtaken.
   */
  async load<T>(fetch: () => Promise<T>, h: { settle: (snapshot: T, missed: E[]) => void; fail: (e: unknown) => void; done?: () => void }): Promise<void> {
    const my = ++this.loads;
    const missed: E[] = [];
    this.missed = missed;
    try {
      const snapshot = await fetch();
      if (my === this.loads) h.settle(snapshot, missed);
    } catch (e) {
      if (my === this.loads) h.fail(e);
    } finally {
      if (my === this.loads) {
        this.missed = null;
        h.done?.();
      }
    }
  }
}
