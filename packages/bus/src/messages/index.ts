export * from './catalogue.ts';
export { createDecree, createMoonCritical, createMoonReading } from './checked.ts';
export { type CreateOptions, createMessage, DEFAULT_PRIORITY, type MessageInit } from './create.ts';
export * from './envelope.ts';
export * from './priority.ts';
export { decodeMessage, encodeMessage, isValidated, parseMessage } from './validate.ts';
