import { paymentEscrowAbi } from "@teetee/contracts/abi";
import type { Address, Hex } from "viem";
import { getContractEvents } from "viem/actions";
import type { TeeTeeClient } from "../contracts/internal/contractCalls.js";
import { getModel } from "../contracts/modelRegistry/getModel.js";
import { getAllocation } from "../contracts/paymentEscrow/getAllocation.js";
import { getChannelPaid } from "../contracts/paymentEscrow/getChannelPaid.js";
import { getSessionSigner } from "../contracts/paymentEscrow/getSessionSigner.js";
import { isActiveContributor } from "../contracts/runnerRegistry/isActiveContributor.js";
import type { RouteAllocation, SessionSigner, TeeTeeContracts } from "../contracts/types.js";
import { allocationId } from "../contracts/voucher/allocationId.js";
import { ReadCache } from "./readCache.js";
import type { ModelPrices } from "./tokenCounts.js";

/**
 * The on-chain facts a runner checks a voucher against. The buyer's unallocated balance is not among them: any
 * route's voucher may spend it first, so no runner counts on it. An interface so a check can be tested against fixed facts,
 * and so a runner can put a cache in front of the chain.
 */
export interface PaymentChainReader {
  /** What the buyer set aside for one route of a model: what that route's runners count on. */
  routeAllocation(buyer: Address, modelId: Hex, route: readonly Address[]): Promise<RouteAllocation>;
  sessionSigner(buyer: Address, signer: Address): Promise<SessionSigner>;
  /** Whether the buyer revoked this signer after last authorising it (the revocation may still be thawing). */
  isSignerRevoked(buyer: Address, signer: Address): Promise<boolean>;
  /** Whether the account has a routable runner on the model (and so uses it free); see `isActiveContributor`. */
  isActiveContributor(modelId: Hex, account: Address): Promise<boolean>;
  channelPaid(channelId: Hex): Promise<bigint>;
  modelPrices(modelId: Hex): Promise<ModelPrices & { active: boolean }>;
}

export type CreatePaymentChainReaderParameters = {
  contracts: Pick<TeeTeeContracts, "paymentEscrow" | "runnerRegistry" | "modelRegistry">;
  /** First block to scan for signer events (the deployment's `startBlock`). */
  fromBlock?: bigint;
  /**
   * How long a read may be reused, ms. Default 0 (always read). Allocations, balances and signer records only
   * shrink by redemptions, releases, withdrawals and revocations, all of which a runner learns of within this window.
   * Expired reads are dropped (see `ReadCache`), so the cache holds only the last window's.
   */
  cacheMs?: number;
  now?: () => number;
};

/**
 * A `PaymentChainReader` over a viem client.
 * @example
 * const reader = createPaymentChainReader(publicClient, { contracts: getDeployment(chainId), cacheMs: 1000 });
 */
export function createPaymentChainReader(
  client: TeeTeeClient,
  parameters: CreatePaymentChainReaderParameters,
): PaymentChainReader {
  const { contracts, fromBlock = 0n, cacheMs = 0, now = Date.now } = parameters;
  const cache = new ReadCache(cacheMs, now);
  const cached = <T>(key: string, read: () => Promise<T>): Promise<T> =>
    cacheMs <= 0 ? read() : cache.get(key, read);
  return {
    routeAllocation: (buyer, modelId, route) => {
      const id = allocationId({ buyer, modelId, route });
      return cached(`alloc:${id}`, () => getAllocation(client, { contracts, allocationId: id }));
    },
    sessionSigner: (buyer, signer) =>
      cached(`sig:${buyer}:${signer}`, () => getSessionSigner(client, { contracts, buyer, signer })),
    isSignerRevoked: (buyer, signer) =>
      cached(`rev:${buyer}:${signer}`, () =>
        signerRevoked(client, contracts.paymentEscrow, fromBlock, buyer, signer),
      ),
    isActiveContributor: (modelId, account) =>
      cached(`contrib:${modelId}:${account}`, () =>
        isActiveContributor(client, { contracts, modelId, account }),
      ),
    channelPaid: (channelId) => getChannelPaid(client, { contracts, channelId }),
    modelPrices: (modelId) =>
      cached(`model:${modelId}`, async () => {
        const model = await getModel(client, { contracts, modelId });
        return {
          inputPricePerMTok: model.inputPricePerMTok,
          outputPricePerMTok: model.outputPricePerMTok,
          active: model.active,
        };
      }),
  };
}

async function signerRevoked(
  client: TeeTeeClient,
  address: Address,
  fromBlock: bigint,
  buyer: Address,
  signer: Address,
): Promise<boolean> {
  const query = { address, abi: paymentEscrowAbi, args: { buyer, signer }, fromBlock, strict: true } as const;
  const [authorized, revoked] = await Promise.all([
    getContractEvents(client, { ...query, eventName: "SignerAuthorized" }),
    getContractEvents(client, { ...query, eventName: "SignerRevoked" }),
  ]);
  const last = (logs: readonly { blockNumber: bigint; logIndex: number }[]) =>
    logs.reduce((best, log) => Math.max(best, Number(log.blockNumber) * 1e6 + log.logIndex), -1);
  return last(revoked) > last(authorized);
}
