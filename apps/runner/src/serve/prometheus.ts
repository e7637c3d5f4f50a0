/** The Prometheus metric types used here. */
export type PromType = 'counter' | 'gauge' | 'histogram';

/**
 * Writes the Prometheus text exposition format (version 0.0.4): `# HELP` and `# TYPE` once per family,
 * then `name{label="value"} number` lines. Label values are escaped; non-finite numbers are written as
 * `+Inf`, `-Inf` and `NaN`.
 */
export class PromText {
  readonly #lines: string[] = [];
  readonly #families = new Set<string>();

  /**
   * Declares a family (once; later calls are ignored).
   * @throws RangeError for a name that is not a valid metric name.
   */
  family(name: string, type: PromType, help: string): this {
    if (!/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(name)) throw new RangeError(`invalid metric name ${name}`);
    if (this.#families.has(name)) return this;
    this.#families.add(name);
    this.#lines.push(
      `# HELP ${name} ${help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`,
      `# TYPE ${name} ${type}`,
    );
    return this;
  }

  /** Adds one sample line. */
  sample(name: string, value: number, labels: Readonly<Record<string, string>> = {}): this {
    const entries = Object.entries(labels);
    const lbl =
      entries.length === 0
        ? ''
        : `{${entries.map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`).join(',')}}`;
    this.#lines.push(`${name}${lbl} ${formatValue(value)}`);
    return this;
  }

  /** The exposition, ending with a newline. */
  toString(): string {
    return `${this.#lines.join('\n')}\n`;
  }
}

function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Number.POSITIVE_INFINITY) return '+Inf';
  if (v === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(v);
}

/** The content type of {@link PromText}'s output. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
