export { type CauseJSON, type ErrorJSON, OrreryError, serializeCause } from './orrery-error.ts';
