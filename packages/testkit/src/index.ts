export { type FakeBinance, type Kline, startFakeBinance } from './fake-binance.ts';
export {
  echoResponder,
  type LlmRecordedRequest,
  type LlmReply,
  type LlmResponder,
  type LlmServer,
  type LlmServerOptions,
  type LlmWire,
  startLlmServer,
} from './llm-server.ts';
export { type NatsServerHandle, type NatsServerOptions, startNatsServer } from './nats-server.ts';
export { freePort, tempDir } from './net.ts';
