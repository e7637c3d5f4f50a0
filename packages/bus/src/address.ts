import { InvalidAddressError } from './errors.ts';

/**
 * Where a message goes: the sun, a planet, a moon, a client outside the hierarchy (an HTTP handler, a
 * CLI), or every subscriber at once (`broadcast`). Names are one token of `[A-Za-z0-9_-]`, 1–64 long,
 * so an address maps one-to-one onto a NATS subject.
 */
export type Address = 'sun' | 'broadcast' | `planet.${string}` | `moon.${string}` | `client.${string}`;

/**
 * An address, or a NATS-style pattern over addresses: `*` stands for one token, a final `>` for one or
 * more, e.g. `planet.*` (every planet), `>` (everything).
 */
export type AddressPattern = Address | (string & {});

const NAME = /^[A-Za-z0-9_-]{1,64}$/;
const KINDS = new Set(['planet', 'moon', 'client']);
const SINGLE = new Set(['sun', 'broadcast']);

function named<K extends 'planet' | 'moon' | 'client'>(kind: K, name: string): `${K}.${string}` {
  if (!NAME.test(name)) {
    throw new InvalidAddressError(
      `invalid ${kind} name ${JSON.stringify(name)}: use 1-64 characters of A-Z a-z 0-9 _ -`,
      { value: name },
    );
  }
  return `${kind}.${name}`;
}

/** True when `value` is a well-formed {@link Address}. */
export function isAddress(value: unknown): value is Address {
  if (typeof value !== 'string') return false;
  if (SINGLE.has(value)) return true;
  const dot = value.indexOf('.');
  return dot > 0 && KINDS.has(value.slice(0, dot)) && NAME.test(value.slice(dot + 1));
}

/** Builders for addresses, and the patterns callers use most. */
export const Address = {
  /** The orchestrator. */
  sun: 'sun',
  /** Every subscriber that accepts broadcasts (the default); where decrees go. */
  broadcast: 'broadcast',
  /** @throws InvalidAddressError when `name` is not one token of `[A-Za-z0-9_-]{1,64}`. */
  planet: (name: string): `planet.${string}` => named('planet', name),
  /** @throws InvalidAddressError when `name` is not one token of `[A-Za-z0-9_-]{1,64}`. */
  moon: (name: string): `moon.${string}` => named('moon', name),
  /** A caller outside the hierarchy. @throws InvalidAddressError on a bad name. */
  client: (name: string): `client.${string}` => named('client', name),
  /** Every planet. */
  allPlanets: 'planet.*',
  /** Every moon. */
  allMoons: 'moon.*',
  /** Every address. */
  everything: '>',
  /**
   * Checks a string from outside (config, a wire message) and returns it typed.
   * @throws InvalidAddressError naming the value.
   */
  parse(value: string): Address {
    if (isAddress(value)) return value;
    throw new InvalidAddressError(
      `invalid address ${JSON.stringify(value)}: expected sun, broadcast, planet.<name>, moon.<name> or client.<name>`,
      { value },
    );
  },
  /** The name part of a planet, moon or client address (`planet.risk` → `risk`); the address itself otherwise. */
  nameOf(address: Address): string {
    const dot = address.indexOf('.');
    return dot < 0 ? address : address.slice(dot + 1);
  },
} as const;

/** A compiled pattern: the source text and a test for concrete addresses. */
export interface AddressMatcher {
  readonly pattern: AddressPattern;
  /** True when `address` is matched by the pattern. */
  matches(address: string): boolean;
}

/**
 * Compiles an address or pattern.
 * @throws InvalidAddressError when a token is empty or holds anything but `[A-Za-z0-9_-]`, `*` or a final `>`.
 */
export function compilePattern(pattern: AddressPattern): AddressMatcher {
  const tokens = pattern.split('.');
  tokens.forEach((t, i) => {
    const ok = t === '*' || (t === '>' && i === tokens.length - 1) || NAME.test(t);
    if (!ok) {
      throw new InvalidAddressError(
        `invalid address pattern ${JSON.stringify(pattern)}: token ${i + 1} (${JSON.stringify(t)}) must be a name, * or a final >`,
        { value: pattern },
      );
    }
  });
  if (!tokens.includes('*') && !tokens.includes('>')) {
    return { pattern, matches: (address) => address === pattern };
  }
  return {
    pattern,
    matches(address) {
      const parts = address.split('.');
      for (let i = 0; i < tokens.length; i++) {
        const t = tokens[i];
        if (t === '>') return parts.length > i;
        if (i >= parts.length || (t !== '*' && t !== parts[i])) return false;
      }
      return parts.length === tokens.length;
    },
  };
}
