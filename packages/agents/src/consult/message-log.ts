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
  // A cycle logs a handful of (type, sender) pairs: a scan of a short array, no keys built, no Map.
  readonly #counts: MessageCount[] = [];

  /** Counts one message. */
  add(type: string, sender: string): void {
    for (const c of this.#counts) {
      if (c.type === type && c.sender === sender) {
        c.count++;
        return;
      }
    }
    this.#counts.push({ type, sender, count: 1 });
  }

  /** The counts, sorted by type then sender. */
  list(): MessageCount[] {
    const out: MessageCount[] = [];
    for (const c of this.#counts) out.push({ type: c.type, sender: c.sender, count: c.count });
    return out.length > 1 ? out.sort(byTypeThenSender) : out;
  }
}

const byTypeThenSender = (a: MessageCount, b: MessageCount): number =>
  a.type.localeCompare(b.type) || a.sender.localeCompare(b.sender);
