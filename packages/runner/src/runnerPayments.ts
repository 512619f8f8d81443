import { join } from "node:path";
import { describe } from "@teetee/errors";
import type { TeeTeeContracts } from "@teetee/sdk/contracts";
import type { Built } from "@teetee/sdk/lifecycle";
import { createPaymentChainReader, PaymentError, requestIdOf } from "@teetee/sdk/payments";
import { PaymentLedger, Settler, type SettlerEvent, VoucherStore } from "@teetee/sdk/payments/runner";
import type { Logger } from "pino";
import type { Account, Address, Chain, Hex, PublicClient, Transport, WalletClient } from "viem";
import type { RunnerConfig } from "./config.js";
import { BuyerBusyError, PaymentRequiredError, type RunnerError } from "./errors.js";
import type { PaymentHook } from "./PaymentHook.js";

export type RunnerPaymentsParameters = {
  config: RunnerConfig;
  runner: Address;
  modelId: Hex;
  shardCount: number;
  chainId: number;
  publicClient: PublicClient;
  contracts: Pick<TeeTeeContracts, "paymentEscrow" | "runnerRegistry" | "modelRegistry">;
  /** Pays the gas of redemptions; without one, vouchers are kept but nobody settles them. */
  settlerWallet: WalletClient<Transport, Chain | undefined, Account> | undefined;
  log: Logger;
};

export type RunnerPayments = {
  hook: PaymentHook;
  /** A session evicted for idleness never sent its settle ticket: its request is abandoned. */
  abandon: (sessionKey: string) => void;
};

/** The voucher ledger phase: its store is open until the phase closes. */
export type RunnerLedger = RunnerPayments & { store: VoucherStore };

/**
 * The runner's side of payments, first phase: every frame's ticket is checked by a {@link PaymentLedger} before it
 * is served, and the best voucher per channel is kept durably in `<data dir>/vouchers.sqlite` before the runner
 * answers. Closing the phase closes the store.
 */
export function openRunnerLedger(params: RunnerPaymentsParameters): Built<RunnerLedger> {
  const { config } = params;
  const store = VoucherStore.open(join(config.dataDir, "vouchers.sqlite"));
  const ledger = new PaymentLedger({
    runner: params.runner,
    modelId: params.modelId,
    shardIndex: config.shardIndex,
    shardCount: params.shardCount,
    chainId: params.chainId,
    paymentEscrow: params.contracts.paymentEscrow,
    reader: createPaymentChainReader(params.publicClient, { contracts: params.contracts, cacheMs: 500 }),
    store,
  });
  return {
    value: {
      store,
      hook: {
        authorize: async (context) => {
          try {
            await ledger.authorizeFrame(context);
          } catch (error) {
            if (!(error instanceof PaymentError)) throw error;
            throw paymentRefusal(error);
          }
        },
      },
      abandon: (sessionKey) => ledger.abandon(requestIdOf(`0x${sessionKey}`)),
    },
    close: () => store.close(),
  };
}

/**
 * The runner's side of payments, second phase: a {@link Settler} redeems the stored vouchers on-chain past a
 * threshold, when a channel idles and before a deadline. Closing the phase at shutdown redeems every stored voucher
 * first; after a failed start it only stops the settler (the vouchers stay stored for the next start).
 */
export function startRunnerSettler(params: RunnerPaymentsParameters, store: VoucherStore): Built<void> {
  const { config, log } = params;
  if (params.settlerWallet === undefined) {
    log.warn("no contributor or settler key: vouchers are stored but this runner does not redeem them");
    return { value: undefined };
  }
  const settler = new Settler({
    client: params.settlerWallet,
    contracts: params.contracts,
    store,
    pollMs: config.settlePollMs,
    idleMs: config.settleIdleMs,
    thresholdAmount: config.settleThreshold,
    log: (event) => logSettlerEvent(log, event),
  });
  settler.start();
  return {
    value: undefined,
    close: async (reason) => {
      if (reason === "shutdown") {
        await settler.settle({ force: true }).catch((error: unknown) => {
          log.error({ err: { message: describe(error) } }, "final settlement failed; vouchers are kept");
        });
      }
      await settler.stop();
    },
  };
}

/**
 * How the runner answers a refused ticket: 429 with when to retry for a buyer over its concurrency limit (the
 * request is fine, just not now), 402 for everything that more money or a better voucher would fix.
 */
export function paymentRefusal(error: PaymentError): RunnerError {
  const message = `${error.code}: ${error.shortMessage}`;
  if (error.code === "too_many_open_requests")
    return new BuyerBusyError(message, { cause: error, retryAfterSeconds: error.retryAfterSeconds ?? 1 });
  return new PaymentRequiredError(message, { cause: error });
}

function logSettlerEvent(log: Logger, event: SettlerEvent): void {
  switch (event.type) {
    case "redeemed":
      log.info(
        { hash: event.hash, vouchers: event.vouchers, gasUsed: String(event.gasUsed) },
        "vouchers redeemed",
      );
      return;
    case "failed":
      log.warn({ channelId: event.channelId, reason: event.reason }, "voucher could not be redeemed");
      return;
    case "error":
      log.warn({ err: { message: (event.error as Error)?.message } }, "settlement attempt failed");
      return;
    case "skipped":
      return;
  }
}
