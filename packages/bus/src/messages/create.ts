import { randomUUID } from 'node:crypto';
import type { Message, MessageOf, MessageType } from './catalogue.ts';
import type { Priority } from './priority.ts';
import { parseMessage } from './validate.ts';

/** The priority a message gets when its creator does not choose one. */
export const DEFAULT_PRIORITY: Readonly<Record<MessageType, Priority>> = {
  'sun.directive': 'high',
  'planet.report': 'normal',
  'moon.reading': 'low',
  'moon.critical': 'critical',
  'broadcast.decree': 'high',
  'planet.lateral': 'normal',
  request: 'normal',
  reply: 'high',
  error: 'high',
};

type Generated = 'type' | 'id' | 'time' | 'priority' | 'correlationId';

/**
 * What a caller supplies to {@link createMessage}: sender, recipient and payload; `id` (a random UUID),
 * `time` (now), `priority` ({@link DEFAULT_PRIORITY}) and `correlationId` (the id) are filled in unless given.
 */
export type MessageInit<T extends MessageType> = Omit<MessageOf<T>, Generated> &
  Partial<Pick<MessageOf<T>, 'id' | 'time' | 'priority' | 'correlationId'>>;

/** Options for {@link createMessage}. */
export interface CreateOptions {
  /** Source of `time` (epoch ms); `Date.now` by default. Any `{ now() }` clock fits. */
  clock?: { now(): number };
}

/**
 * Builds, validates and freezes a message. A message built here is published without being parsed again.
 *
 * @example
 * const report = createMessage('planet.report', {
 *   sender: Address.planet('technical'), recipient: Address.sun,
 *   payload: { symbol: 'BTC-USD', signal: 0.4, confidence: 0.7, reasons: ['RSI crossed 30 upwards'] },
 * });
 * @throws InvalidMessageError when a field breaks the catalogue (e.g. a signal of 1.5).
 */
export function createMessage<T extends MessageType>(
  type: T,
  init: MessageInit<T>,
  opts: CreateOptions = {},
): MessageOf<T> {
  const id = init.id ?? randomUUID();
  const draft = {
    ...init,
    type,
    id,
    time: init.time ?? (opts.clock === undefined ? Date.now() : opts.clock.now()),
    priority: init.priority ?? DEFAULT_PRIORITY[type],
    correlationId: init.correlationId ?? id,
  };
  return parseMessage(draft) as Message as MessageOf<T>;
}
