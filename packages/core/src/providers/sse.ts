/** One server-sent event: its `event:` name (when given) and its `data:` lines joined by newlines. */
export interface SseEvent {
  event: string | undefined;
  data: string;
}

/**
 * An incremental parser of a `text/event-stream` body (the WHATWG event-stream format): feed it the
 * body's chunks as they arrive, in any split (mid-line, mid-event, CRLF or LF line ends), and it returns
 * each event once its blank line has arrived. Comments (`:` lines) and `id:`/`retry:` fields are ignored.
 */
export class SseParser {
  #buffer = '';
  #event: string | undefined;
  #data: string[] = [];

  /** The events completed by `chunk`. */
  feed(chunk: string): SseEvent[] {
    this.#buffer += chunk;
    const out: SseEvent[] = [];
    for (;;) {
      const nl = this.#buffer.search(/\r\n|\r|\n/);
      if (nl < 0) break;
      // A lone trailing CR may be the first half of a CRLF split across chunks: wait for the next one.
      if (this.#buffer[nl] === '\r' && nl === this.#buffer.length - 1) break;
      const line = this.#buffer.slice(0, nl);
      this.#buffer = this.#buffer.slice(this.#buffer.startsWith('\r\n', nl) ? nl + 2 : nl + 1);
      const done = this.#line(line);
      if (done !== undefined) out.push(done);
    }
    return out;
  }

  /** The event still open when the body ended without its blank line, if any. */
  end(): SseEvent[] {
    const last = this.#buffer === '' ? undefined : this.#line(this.#buffer);
    this.#buffer = '';
    const open = last ?? this.#line('');
    return open === undefined ? [] : [open];
  }

  #line(line: string): SseEvent | undefined {
    if (line === '') {
      if (this.#data.length === 0) {
        this.#event = undefined;
        return undefined;
      }
      const done = { event: this.#event, data: this.#data.join('\n') };
      this.#event = undefined;
      this.#data = [];
      return done;
    }
    if (line.startsWith(':')) return undefined;
    const colon = line.indexOf(':');
    const name = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (name === 'data') this.#data.push(value);
    else if (name === 'event') this.#event = value;
    return undefined;
  }
}
