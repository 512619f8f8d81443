export { type ApiKey, type FormatApiKeyParameters, formatApiKey, parseApiKey } from "./apiKey.js";
export { PaymentError, type PaymentErrorCode } from "./errors.js";
export {
  type CreatePaymentChainReaderParameters,
  createPaymentChainReader,
  type PaymentChainReader,
} from "./PaymentChainReader.js";
export { PaymentSession, type PaymentSessionParameters, type RequestUsage } from "./PaymentSession.js";
export {
  decodePaymentTicket,
  encodePaymentTicket,
  type PaymentTicket,
  requestIdOf,
} from "./paymentTicket.js";
export { type RoutableRunner, routesOf } from "./routesOf.js";
export {
  addCounts,
  costIncrease,
  costOfCounts,
  type ModelPrices,
  type TokenCounts,
  zeroCounts,
} from "./tokenCounts.js";
export { type RetryOptions, withRetry } from "./withRetry.js";
