import { z } from 'zod';
import {
  broadcastAddressSchema,
  envelopeShape,
  jsonRecordSchema,
  jsonSchema,
  moonAddressSchema,
  planetAddressSchema,
  sunAddressSchema,
} from './envelope.ts';

const symbol = z.string().min(1).max(64);
const finite = z.number().finite();

/** The sun tells a planet or moon what to do (analyse a symbol, change a parameter…). */
export const sunDirectiveSchema = z.object({
  ...envelopeShape,
  type: z.literal('sun.directive'),
  sender: sunAddressSchema,
  payload: z.object({
    /** What to do, e.g. `analyse`. */
    task: z.string().min(1).max(128),
    symbol: symbol.optional(),
    params: jsonRecordSchema.optional(),
    /** Answer wanted before this time (epoch ms). */
    deadline: z.number().int().nonnegative().optional(),
  }),
});

/** A planet's view of a symbol: a signal in [-1, 1] (sell … buy) with a confidence in [0, 1] and reasons. */
export const planetReportSchema = z.object({
  ...envelopeShape,
  type: z.literal('planet.report'),
  sender: planetAddressSchema,
  payload: z.object({
    symbol,
    signal: z.number().min(-1).max(1),
    confidence: z.number().min(0).max(1),
    reasons: z.array(z.string().max(2000)).max(64),
    /** The execution mode the planet ran in, e.g. `LIGHT_REASONING`. */
    mode: z.string().max(64).optional(),
    data: jsonRecordSchema.optional(),
  }),
});

/** A moon's routine measurement (an indicator value, a risk figure) for one bar. */
export const moonReadingSchema = z.object({
  ...envelopeShape,
  type: z.literal('moon.reading'),
  sender: moonAddressSchema,
  payload: z.object({
    symbol,
    /** What was measured, e.g. `rsi14`. */
    metric: z.string().min(1).max(128),
    value: finite,
    /** The bar the reading belongs to (epoch ms). */
    barTime: z.number().int().nonnegative().optional(),
    features: z.record(z.string(), finite).optional(),
  }),
});

/** A moon saw something that cannot wait (a stop hit, a volatility shock, a limit breached). */
export const moonCriticalSchema = z.object({
  ...envelopeShape,
  type: z.literal('moon.critical'),
  sender: moonAddressSchema,
  payload: z.object({
    symbol,
    metric: z.string().min(1).max(128),
    value: finite,
    threshold: finite.optional(),
    reason: z.string().min(1).max(2000),
  }),
});

/** The sun's decision, sent to everyone. `decision` is the agents package's decision object as JSON. */
export const broadcastDecreeSchema = z.object({
  ...envelopeShape,
  type: z.literal('broadcast.decree'),
  sender: sunAddressSchema,
  recipient: broadcastAddressSchema,
  payload: z.object({
    decision: jsonRecordSchema,
    symbol: symbol.optional(),
    reason: z.string().max(2000).optional(),
  }),
});

/** One planet tells another something; the bus also copies it to the sun. */
export const planetLateralSchema = z.object({
  ...envelopeShape,
  type: z.literal('planet.lateral'),
  sender: planetAddressSchema,
  recipient: planetAddressSchema,
  payload: z.object({ topic: z.string().min(1).max(128), body: jsonSchema }),
});

/** Asks the recipient for an answer; use `Bus.request`, which builds this envelope. */
export const requestSchema = z.object({
  ...envelopeShape,
  type: z.literal('request'),
  payload: z.object({ topic: z.string().min(1).max(128), body: jsonSchema }),
});

/** The answer to a request; `correlationId` is the request's id. */
export const replySchema = z.object({
  ...envelopeShape,
  type: z.literal('reply'),
  payload: z.object({ body: jsonSchema }),
});

/** Something went wrong with a message; `correlationId` is the id of the message concerned. */
export const errorMessageSchema = z.object({
  ...envelopeShape,
  type: z.literal('error'),
  payload: z.object({
    /** A `BusErrorCode` (e.g. `ORRERY_BUS_MAILBOX_FULL`) or the responder's own code. */
    code: z.string().min(1).max(128),
    message: z.string().max(4000),
  }),
});

/** Every message the bus carries, discriminated on `type`. */
export const messageSchema = z.discriminatedUnion('type', [
  sunDirectiveSchema,
  planetReportSchema,
  moonReadingSchema,
  moonCriticalSchema,
  broadcastDecreeSchema,
  planetLateralSchema,
  requestSchema,
  replySchema,
  errorMessageSchema,
]);

/** Any message on the bus. */
export type Message = z.infer<typeof messageSchema>;
/** The `type` tags, e.g. `planet.report`. */
export type MessageType = Message['type'];
/** The message whose `type` is `T`. */
export type MessageOf<T extends MessageType> = Extract<Message, { type: T }>;

/** A sun directive. */
export type SunDirective = MessageOf<'sun.directive'>;
/** A planet report. */
export type PlanetReport = MessageOf<'planet.report'>;
/** A moon reading. */
export type MoonReading = MessageOf<'moon.reading'>;
/** A moon critical update. */
export type MoonCritical = MessageOf<'moon.critical'>;
/** A broadcast decree. */
export type BroadcastDecree = MessageOf<'broadcast.decree'>;
/** A planet-to-planet message. */
export type PlanetLateral = MessageOf<'planet.lateral'>;
/** A request envelope. */
export type RequestMessage = MessageOf<'request'>;
/** A reply envelope. */
export type ReplyMessage = MessageOf<'reply'>;
/** An error envelope. */
export type ErrorMessage = MessageOf<'error'>;

/** Every message type, in catalogue order. */
export const MESSAGE_TYPES = messageSchema.options.map((o) => o.shape.type.value) as readonly MessageType[];
