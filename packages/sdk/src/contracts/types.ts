import type {
  modelRegistryAbi,
  paymentEscrowAbi,
  runnerRegistryAbi,
  stakingAbi,
} from "@teetee/contracts/abi";
import type { Address, ContractFunctionArgs, ContractFunctionReturnType } from "viem";

/** Addresses of one TeeTee deployment, as an action's alternative to a single `address`. */
export interface TeeTeeContracts {
  modelRegistry: Address;
  staking: Address;
  runnerRegistry: Address;
  paymentEscrow: Address;
  /** Slashes runners on equivocation evidence; optional because configs written before it do not name it. */
  receiptSlasher?: Address;
  /** The payment token. */
  token: Address;
}

export type TeeTeeContractName = keyof TeeTeeContracts;

/** What a model's curator submits to `registerModel`. */
export type ModelParams = ContractFunctionArgs<typeof modelRegistryAbi, "nonpayable", "registerModel">[0];
/** One layer range of a model. */
export type Shard = ModelParams["shards"][number];
/** A model as stored on-chain. */
export type Model = ContractFunctionReturnType<typeof modelRegistryAbi, "view", "getModel">;
/** Each shard's share and the protocol fee of a model. */
export type RevenueSplit = ContractFunctionReturnType<typeof modelRegistryAbi, "view", "getRevenueSplit">;

/** A contributor's staking position. */
export type StakeInfo = ContractFunctionReturnType<typeof stakingAbi, "view", "getStake">;

/** What a contributor submits to register a runner, and what the runner key signs. */
export type RunnerRegistration = ContractFunctionArgs<
  typeof runnerRegistryAbi,
  "nonpayable",
  "registerRunner"
>[0];
/** A runner as stored on-chain. */
export type Runner = ContractFunctionReturnType<typeof runnerRegistryAbi, "view", "getRunner">;
/** A runner with its address, what is left of its own stake lock, and whether it may be routed to now. */
export type RunnerView = { runner: Address; info: Runner; backing: bigint; routable: boolean };

/** A cumulative payment for one channel (buyer, model, session, route). */
export type Voucher = ContractFunctionArgs<typeof paymentEscrowAbi, "nonpayable", "redeem">[0];
/** A buyer's escrow account. */
export type EscrowAccount = ContractFunctionReturnType<typeof paymentEscrowAbi, "view", "getAccount">;
/** Part of a buyer's deposit set aside for one route: amount, releasing, releaseEnd. */
export type RouteAllocation = ContractFunctionReturnType<typeof paymentEscrowAbi, "view", "getAllocation">;
/** A session signer (API key) a buyer authorised. */
export type SessionSigner = ContractFunctionReturnType<typeof paymentEscrowAbi, "view", "getSigner">;
