import { modelRegistryAbi, runnerRegistryAbi } from "@teetee/contracts/abi";
import {
  getModel,
  getModelIds,
  getRunners,
  getShard,
  type Model,
  type RunnerView,
  type Shard,
  type TeeTeeClient,
  type TeeTeeContracts,
} from "@teetee/sdk/contracts";
import type { Hex } from "viem";
import { getBlockNumber, getContractEvents } from "viem/actions";

/** A model as the gateway sees it on-chain: its record, its shards and each shard's active runners. */
export type ModelListing = {
  modelId: Hex;
  model: Model;
  shards: readonly Shard[];
  /** Active runners per shard, in shard order. */
  runners: readonly (readonly RunnerView[])[];
};

export type ChainDirectoryParameters = {
  client: TeeTeeClient;
  contracts: Pick<TeeTeeContracts, "modelRegistry" | "runnerRegistry">;
  /** Only these models (all registered models when omitted). */
  modelIds?: readonly Hex[];
  /** How often to look for new registry events, ms. Default 2000. */
  pollMs?: number;
  onChange?: (listings: ReadonlyMap<Hex, ModelListing>) => void;
  onError?: (error: unknown) => void;
};

/**
 * Which models exist and which runners serve them, read from the registries and kept current from their events
 * (runner registered, refreshed, moved, deactivated; model prices, TTL, compose hashes, active flag changed):
 * every poll reads the logs since the last block seen and, when any arrived, reloads the models.
 */
export class ChainDirectory {
  readonly #p: ChainDirectoryParameters;
  #listings: ReadonlyMap<Hex, ModelListing> = new Map();
  #lastBlock = 0n;
  #timer: NodeJS.Timeout | undefined;
  #polling = false;
  /** A model failed to load in the last reload: the next poll reloads even without new events. */
  #stale = false;

  constructor(parameters: ChainDirectoryParameters) {
    this.#p = parameters;
  }

  get listings(): ReadonlyMap<Hex, ModelListing> {
    return this.#listings;
  }

  /** Loads everything once, then follows events. */
  async start(): Promise<void> {
    this.#lastBlock = await getBlockNumber(this.#p.client);
    await this.reload();
    this.#timer = setInterval(() => void this.poll(), this.#p.pollMs ?? 2000);
    this.#timer.unref();
  }

  /** Whether it follows the registries' events: between {@link start} and {@link stop}. */
  get polling(): boolean {
    return this.#timer !== undefined;
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Looks for registry events since the last poll; reloads when there are any. Returns whether it reloaded. */
  async poll(): Promise<boolean> {
    if (this.#polling) return false;
    this.#polling = true;
    try {
      const { client, contracts } = this.#p;
      const head = await getBlockNumber(client);
      if (head <= this.#lastBlock && !this.#stale) return false;
      const range = { fromBlock: this.#lastBlock + 1n, toBlock: head };
      const [runnerEvents, modelEvents] = await Promise.all([
        getContractEvents(client, { address: contracts.runnerRegistry, abi: runnerRegistryAbi, ...range }),
        getContractEvents(client, { address: contracts.modelRegistry, abi: modelRegistryAbi, ...range }),
      ]);
      this.#lastBlock = head;
      if (runnerEvents.length + modelEvents.length === 0 && !this.#stale) return false;
      await this.reload();
      return true;
    } catch (error) {
      this.#p.onError?.(error);
      return false;
    } finally {
      this.#polling = false;
    }
  }

  /**
   * Reads every model of interest and its runners afresh. A model that fails to load (an RPC error) keeps its
   * previous listing until the next poll reads it again: a transient error never empties the pool.
   */
  async reload(): Promise<void> {
    const { client, contracts } = this.#p;
    const ids = this.#p.modelIds ?? (await allModelIds(client, contracts));
    const listings = new Map<Hex, ModelListing>();
    let stale = false;
    for (const modelId of ids) {
      const key = modelId.toLowerCase() as Hex;
      const listing = await loadModel(client, contracts, modelId).catch((error: unknown) => {
        stale = true;
        this.#p.onError?.(error);
        return this.#listings.get(key);
      });
      if (listing !== undefined) listings.set(key, listing);
    }
    this.#stale = stale;
    this.#listings = listings;
    this.#p.onChange?.(listings);
  }
}

async function allModelIds(
  client: TeeTeeClient,
  contracts: ChainDirectoryParameters["contracts"],
): Promise<Hex[]> {
  const ids: Hex[] = [];
  for (let offset = 0n; ; offset += 100n) {
    const page = await getModelIds(client, { contracts, offset, limit: 100n });
    ids.push(...page.ids);
    if (offset + 100n >= page.total) return ids;
  }
}

async function loadModel(
  client: TeeTeeClient,
  contracts: ChainDirectoryParameters["contracts"],
  modelId: Hex,
): Promise<ModelListing> {
  const model = await getModel(client, { contracts, modelId });
  const shards: Shard[] = [];
  const runners: RunnerView[][] = [];
  for (let index = 0; index < model.shardCount; index++) {
    shards.push(await getShard(client, { contracts, modelId, shardIndex: BigInt(index) }));
    const active: RunnerView[] = [];
    for (let offset = 0n; ; offset += 100n) {
      const page = await getRunners(client, { contracts, modelId, shardIndex: index, offset, limit: 100n });
      active.push(...page.runners.filter((r) => r.routable));
      if (offset + 100n >= page.total) break;
    }
    runners.push(active);
  }
  return { modelId, model, shards, runners };
}
