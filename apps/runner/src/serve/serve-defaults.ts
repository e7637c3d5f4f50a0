/** `orrery serve`'s defaults, apart from the server so that `orrery serve --help` can show them cheaply. */

/** Default request body limit: 256 KiB. */
export const DEFAULT_BODY_LIMIT = 256 * 1024;
/** Default number of `/execute` and analyze requests served at once. */
export const DEFAULT_MAX_CONCURRENT = 64;

/** Log levels of the server's JSON log, most severe first. */
export const SERVE_LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const;

/** One of {@link SERVE_LOG_LEVELS}. */
export type ServeLogLevel = (typeof SERVE_LOG_LEVELS)[number];
