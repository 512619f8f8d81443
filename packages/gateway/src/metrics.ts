import { Counter, Histogram, Registry } from "prom-client";

export type GatewayMetrics = {
  registry: Registry;
  requests: Counter<"endpoint" | "status">;
  tokens: Counter<"kind">;
  failovers: Counter;
  duration: Histogram<"endpoint">;
  charged: Counter;
  receiptsWithheld: Counter;
};

export function createGatewayMetrics(): GatewayMetrics {
  const registry = new Registry();
  return {
    registry,
    requests: new Counter({
      name: "teetee_gateway_requests_total",
      help: "API requests by endpoint and status",
      labelNames: ["endpoint", "status"],
      registers: [registry],
    }),
    tokens: new Counter({
      name: "teetee_gateway_tokens_total",
      help: "Tokens by kind (prompt, completion)",
      labelNames: ["kind"],
      registers: [registry],
    }),
    failovers: new Counter({
      name: "teetee_gateway_failovers_total",
      help: "Routes abandoned mid-request",
      registers: [registry],
    }),
    duration: new Histogram({
      name: "teetee_gateway_request_seconds",
      help: "Request duration",
      labelNames: ["endpoint"],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers: [registry],
    }),
    charged: new Counter({
      name: "teetee_gateway_charged_base_units_total",
      help: "Amount charged to buyers, payment-token base units",
      registers: [registry],
    }),
    receiptsWithheld: new Counter({
      name: "teetee_gateway_receipts_withheld_total",
      help: "Receipt bundles not delivered: a receipt dated more than RECEIPT_CLOCK_SKEW_SECONDS after the latest block",
      registers: [registry],
    }),
  };
}
