/**
 * The codes `orrery serve` (and a planet hosted on the bus) answers for problems of the request itself,
 * before or around the gateway. Gateway failures keep core's `ORRERY_LLM_*` codes; an unknown planet
 * keeps the agents' `ORRERY_AGENTS_UNKNOWN_PLANET`.
 */
export const ServeErrorCode = {
  /** 400: the body is not JSON, or breaks the route's schema (`path` names the first offending key). */
  INVALID_BODY: 'ORRERY_HTTP_INVALID_BODY',
  /** 401: a bearer token is required and was missing or wrong. */
  UNAUTHORIZED: 'ORRERY_HTTP_UNAUTHORIZED',
  /** 404: no such route. */
  NOT_FOUND: 'ORRERY_HTTP_NOT_FOUND',
  /** 404 (`/chains/:id`) or 400 (`chainId` in a body): no open budget chain has this id. */
  UNKNOWN_CHAIN: 'ORRERY_HTTP_UNKNOWN_CHAIN',
  /** 413: the body is larger than the server's limit. */
  BODY_TOO_LARGE: 'ORRERY_HTTP_BODY_TOO_LARGE',
  /** 415: the body is not `application/json`. */
  UNSUPPORTED_MEDIA_TYPE: 'ORRERY_HTTP_UNSUPPORTED_MEDIA_TYPE',
  /** 429: every concurrency slot is taken; retry after `Retry-After` seconds. */
  OVERLOADED: 'ORRERY_HTTP_OVERLOADED',
  /** 429: the server holds its maximum of open budget chains; close one first. */
  CHAIN_LIMIT: 'ORRERY_HTTP_CHAIN_LIMIT',
  /** 400 (bus: error envelope): a request on the bus asked a topic the planet does not answer. */
  UNKNOWN_TOPIC: 'ORRERY_HTTP_UNKNOWN_TOPIC',
  /** 404 (`/v1/*`): the `model` names nothing the routing policy serves (`GET /v1/models` lists what it does). */
  UNKNOWN_MODEL: 'ORRERY_HTTP_UNKNOWN_MODEL',
  /** 403 (`/v1/*`): the virtual key is bound to task types that do not include the request's. */
  FORBIDDEN_TASK: 'ORRERY_HTTP_FORBIDDEN_TASK',
  /** 403: the `Host` or `Origin` of a request to a tokenless server is not this machine (DNS rebinding, a web page). */
  FORBIDDEN_HOST: 'ORRERY_HTTP_FORBIDDEN_HOST',
  /**
   * 503: no worker hosts the planet (`agents.transport: nats` and no `orrery planet NAME --nats URL` is
   * subscribed), or its mailbox is full; start a worker or retry later.
   */
  PLANET_UNAVAILABLE: 'ORRERY_HTTP_PLANET_UNAVAILABLE',
  /** 504: the planet's worker did not answer within `agents.transport.timeoutMs`; retry, or check the worker. */
  PLANET_TIMEOUT: 'ORRERY_HTTP_PLANET_TIMEOUT',
  /** 502: the planet's worker answered with a failure or with something that is not an analysis (see its log). */
  PLANET_FAILED: 'ORRERY_HTTP_PLANET_FAILED',
  /** 500: a bug; the message says nothing more (details are in the server log). */
  INTERNAL: 'ORRERY_HTTP_INTERNAL',
} as const;

/** One of {@link ServeErrorCode}'s values. */
export type ServeErrorCode = (typeof ServeErrorCode)[keyof typeof ServeErrorCode];

/** One problem in a body: the dotted key path (`messages[0].role`, `(root)`) and what is wrong. */
export interface BodyIssue {
  path: string;
  message: string;
}

/**
 * The body of every error answer that is not an `LLMResponse`: `success: false` and a typed `error`, so a
 * client tests `success` and switches on `error.code` whatever the route.
 */
export interface ProblemBody {
  success: false;
  error: {
    code: string;
    message: string;
    /** The first offending key of a 400. */
    path?: string;
    /** Every offending key of a 400 (at most 20). */
    issues?: BodyIssue[];
  };
}

/** Builds a {@link ProblemBody}. */
export function problem(code: string, message: string, issues?: readonly BodyIssue[]): ProblemBody {
  const first = issues?.[0];
  return {
    success: false,
    error: {
      code,
      message,
      ...(first === undefined ? {} : { path: first.path, issues: issues?.slice(0, 20) ?? [] }),
    },
  };
}

/** A 400 body naming the first offending path in its message. */
export function invalidBody(issues: readonly BodyIssue[], what = 'body'): ProblemBody {
  const first = issues[0];
  const message =
    first === undefined
      ? `invalid ${what}`
      : `invalid ${what}: ${first.path}: ${first.message}${issues.length > 1 ? ` (and ${issues.length - 1} more)` : ''}`;
  return problem(ServeErrorCode.INVALID_BODY, message, issues);
}
