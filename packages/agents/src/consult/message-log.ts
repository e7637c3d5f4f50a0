/** One line of a cycle's message log: how many messages of one type one sender put on the bus. */
export interface MessageCount {
  /** The bus message type, e.g. `sun.directive`, `planet.report`, `moon.reading`, `error`. */
  type: string;
  /** The sender's bus address, e.g. `sun`, `planet.technical`, `moon.change`. */
  sender: string;
  count: number;
}

/**
 * The messages one cycle exchanged over the bus, counted by type and sender (ids and times are left
 * out, so a replay logs the same). Shared by reference across the cycle's scratch-state copies.
 */
export class MessageLog {
  readonly #counts = new Map<string, MessageCount>();

  /** Counts one message. */
  add(type: string, sender: string): void {
    const key = `${type} ${sender}`;
    const c = this.#counts.get(key);
    if (c === undefined) this.#counts.set(key, { type, sender, count: 1 });
    else c.count++;
  }

  /** The counts, sorted by type then sender. */
  list(): MessageCount[] {
    return [...this.#counts.values()]
      .map((c) => ({ ...c }))
      .sort((a, b) => a.type.localeCompare(b.type) || a.sender.localeCompare(b.sender));
  }
}
