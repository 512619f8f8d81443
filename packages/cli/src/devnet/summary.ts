import {
  getEarnings,
  getEscrowAccount,
  getModel,
  getSessionSigner,
  getStake,
  getTokenBalance,
  type TeeTeeContracts,
} from "@teetee/sdk";
import type { Address, Hex, PublicClient } from "viem";
import type { Actor } from "./actors.js";

/** What `pnpm start` reports, every figure read back from the chain after the demo. */
export interface DevnetSummary {
  chainId: number;
  rpcUrl: string;
  deploymentFile: string;
  modelId: Hex;
  composeHash: Hex;
  prices: { inputPricePerMTok: bigint; outputPricePerMTok: bigint; minStake: bigint };
  shards: { index: number; layerStart: number; layerEnd: number; shareBps: number; weightsHash: Hex }[];
  contributors: {
    name: string;
    address: Address;
    staked: bigint;
    locked: bigint;
    earnings: bigint;
    wallet: bigint;
  }[];
  buyer: {
    address: Address;
    escrowBalance: bigint;
    signer: Address;
    spendLimit: bigint;
    spent: bigint;
    validUntil: bigint;
  };
  gas: { total: bigint; byActor: Record<string, bigint> };
  /** Parts of the demo not run, with why (e.g. a package that is not built yet). */
  skipped: { step: string; reason: string }[];
}

export async function readSummary(
  client: PublicClient,
  contracts: TeeTeeContracts,
  facts: {
    modelId: Hex;
    contributors: Actor[];
    buyer: Actor;
    signer: Address;
    actors: Actor[];
  },
) {
  const target = { contracts };
  const model = await getModel(client, { ...target, modelId: facts.modelId });
  const contributors = await Promise.all(
    facts.contributors.map(async (actor) => {
      const address = actor.account.address;
      const [stake, earnings, wallet] = await Promise.all([
        getStake(client, { ...target, staker: address }),
        getEarnings(client, { ...target, contributor: address }),
        getTokenBalance(client, { ...target, owner: address }),
      ]);
      return { name: actor.name, address, staked: stake.staked, locked: stake.locked, earnings, wallet };
    }),
  );
  const buyerAddress = facts.buyer.account.address;
  const [account, signer] = await Promise.all([
    getEscrowAccount(client, { ...target, buyer: buyerAddress }),
    getSessionSigner(client, { ...target, buyer: buyerAddress, signer: facts.signer }),
  ]);
  const byActor: Record<string, bigint> = {};
  for (const actor of facts.actors) byActor[actor.name] = (byActor[actor.name] ?? 0n) + actor.gasUsed;
  return {
    prices: {
      inputPricePerMTok: model.inputPricePerMTok,
      outputPricePerMTok: model.outputPricePerMTok,
      minStake: model.minStake,
    },
    contributors,
    buyer: {
      address: buyerAddress,
      escrowBalance: account.balance,
      signer: facts.signer,
      spendLimit: signer.spendLimit,
      spent: signer.spent,
      validUntil: signer.validUntil,
    },
    gas: { total: Object.values(byActor).reduce((a, b) => a + b, 0n), byActor },
  };
}
