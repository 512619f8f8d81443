import {
  modelRegistryAbi,
  paymentEscrowAbi,
  runnerRegistryAbi,
  stakingAbi,
  testTokenAbi,
} from "@teetee/contracts/abi";
import {
  allocationId,
  getAllocation,
  getEarnings,
  getEscrowAccount,
  getEscrowTreasuryBalance,
  getModel,
  getSessionSigner,
  getStake,
  getTokenBalance,
  type TeeTeeContracts,
} from "@teetee/sdk/contracts";
import { type Abi, type Address, decodeFunctionData, type Hex, type PublicClient } from "viem";
import type { Actor } from "./actors.js";

/** What `pnpm start` reports, every figure read back from the chain after the demo. */
export interface DevnetSummary {
  chainId: number;
  rpcUrl: string;
  deploymentFile: string;
  modelId: Hex;
  composeHash: Hex;
  /** The development TEE's OS image (SHA-256 of MRTD and RTMR0-2), allowlisted for the demo model. */
  osImage: Hex;
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
    /** Unallocated: any route's voucher may spend it. */
    escrowBalance: bigint;
    /** What is left of each route's allocation: only that route's vouchers spend it. */
    allocations: { route: Address[]; amount: bigint }[];
    signer: Address;
    spendLimit: bigint;
    spent: bigint;
    validUntil: bigint;
  };
  treasury: { address: Address; balance: bigint };
  /** Gas of every transaction on the chain, by sender (curator, contributors, buyer) and by contract call. */
  gas: { total: bigint; byActor: Record<string, bigint>; byCall: Record<string, bigint> };
}

const abis: readonly Abi[] = [
  modelRegistryAbi,
  stakingAbi,
  runnerRegistryAbi,
  paymentEscrowAbi,
  testTokenAbi,
];

function callName(input: Hex, to: Address | null): string {
  if (to === null) return "deploy";
  for (const abi of abis) {
    try {
      return decodeFunctionData({ abi, data: input }).functionName;
    } catch {
      // not this contract's function
    }
  }
  return input === "0x" ? "transfer" : "other";
}

/** Reads every transaction's receipt since block 0 (a local chain is small) and sums its gas by sender and call. */
export async function readGas(client: PublicClient, actors: readonly Actor[]) {
  const names = new Map(actors.map((a) => [a.account.address.toLowerCase(), a.name]));
  const byActor: Record<string, bigint> = Object.fromEntries(actors.map((a) => [a.name, 0n]));
  const byCall: Record<string, bigint> = {};
  let total = 0n;
  const latest = await client.getBlockNumber();
  for (let number = 0n; number <= latest; number++) {
    const block = await client.getBlock({ blockNumber: number, includeTransactions: true });
    for (const tx of block.transactions) {
      const { gasUsed } = await client.getTransactionReceipt({ hash: tx.hash });
      const name = names.get(tx.from.toLowerCase()) ?? "others";
      byActor[name] = (byActor[name] ?? 0n) + gasUsed;
      const call = callName(tx.input, tx.to);
      byCall[call] = (byCall[call] ?? 0n) + gasUsed;
      total += gasUsed;
    }
  }
  return { total, byActor, byCall };
}

export async function readSummary(
  client: PublicClient,
  contracts: TeeTeeContracts & { treasury: Address },
  facts: {
    modelId: Hex;
    contributors: Actor[];
    buyer: Actor;
    signer: Address;
    routes: Address[][];
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
  const [account, signer, treasuryBalance, allocations] = await Promise.all([
    getEscrowAccount(client, { ...target, buyer: buyerAddress }),
    getSessionSigner(client, { ...target, buyer: buyerAddress, signer: facts.signer }),
    getEscrowTreasuryBalance(client, target),
    Promise.all(
      facts.routes.map(async (route) => {
        const id = allocationId({ buyer: buyerAddress, modelId: facts.modelId, route });
        return { route, amount: (await getAllocation(client, { ...target, allocationId: id })).amount };
      }),
    ),
  ]);
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
      allocations,
      signer: facts.signer,
      spendLimit: signer.spendLimit,
      spent: signer.spent,
      validUntil: signer.validUntil,
    },
    treasury: { address: contracts.treasury, balance: treasuryBalance },
    gas: await readGas(client, facts.actors),
  };
}
