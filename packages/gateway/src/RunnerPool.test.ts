import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { RouteRunner, VerifiedRunner } from "@teetee/sdk/pipeline";
import type { Address, Hex } from "viem";
import type { ModelListing } from "./ChainDirectory.js";
import { RunnerPool, rankedRoutes } from "./RunnerPool.js";

const modelId = `0x${"aa".repeat(32)}` as Hex;
const address = (i: number) => `0x${i.toString(16).padStart(40, "0")}` as Address;
const quote = (i: number) => `0x${i.toString(16).padStart(64, "0")}` as Hex;

function listing(runners: { runner: Address; shard: number; quoteHash: Hex }[]): Map<Hex, ModelListing> {
  const byShard = [0, 1].map((shard) =>
    runners
      .filter((r) => r.shard === shard)
      .map((r) => ({
        runner: r.runner,
        info: {
          contributor: address(999),
          shardIndex: shard,
          active: true,
          attestedAt: 0n,
          modelId,
          quoteHash: r.quoteHash,
          composeHash: quote(0),
          osImage: quote(1),
          lockedStake: 0n,
          registeredAt: 0n,
          endpoint: `http://127.0.0.1:1/${r.runner}`,
          publicKey: "0x02" as Hex,
        },
        backing: 0n,
        routable: true,
      })),
  );
  return new Map([[modelId, { modelId, model: {} as ModelListing["model"], shards: [], runners: byShard }]]);
}

let now = 1_000_000;
const verified: string[] = [];
const refused = new Set<Address>();
function pool() {
  return new RunnerPool({
    now: () => now,
    recheckSeconds: 100,
    verify: async (runner: RouteRunner, expected): Promise<VerifiedRunner> => {
      verified.push(runner.runner);
      if (refused.has(runner.runner))
        throw Object.assign(new Error("bad quote"), { shortMessage: "failed attestation" });
      return { ...runner, ...expected, quoteHash: quote(1), validUntil: now / 1000 + 1000 };
    },
  });
}

beforeEach(() => {
  verified.length = 0;
  refused.clear();
  now = 1_000_000;
});

describe("RunnerPool", () => {
  test("concurrent requests take routes at once spread over the replicas (every runner busy), funded or not", async () => {
    const p = pool();
    p.sync(
      listing([
        { runner: address(1), shard: 0, quoteHash: quote(1) },
        { runner: address(2), shard: 0, quoteHash: quote(1) },
        { runner: address(3), shard: 1, quoteHash: quote(1) },
        { runner: address(4), shard: 1, quoteHash: quote(1) },
      ]),
    );
    for (const accept of [undefined, async () => true]) {
      const taken = await Promise.all([0, 1].map(() => p.takeRoute(modelId, 2, new Set(), accept)));
      expect(taken.map((t) => t.route.map((r) => r.runner).join()).sort()).toEqual([
        [address(1), address(3)].join(),
        [address(2), address(4)].join(),
      ]);
      expect(p.runners(modelId, 0).map((r) => r.inflight)).toEqual([1, 1]);
      for (const t of taken) t.release();
      expect(p.runners(modelId, 0).map((r) => r.inflight)).toEqual([0, 0]);
    }
  });

  test("takes the best route the caller accepts (the one the buyer funded), and says when none is", async () => {
    const p = pool();
    p.sync(
      listing([
        { runner: address(1), shard: 0, quoteHash: quote(1) },
        { runner: address(2), shard: 0, quoteHash: quote(1) },
        { runner: address(3), shard: 1, quoteHash: quote(1) },
        { runner: address(4), shard: 1, quoteHash: quote(1) },
      ]),
    );
    p.observeLatency(address(2), 500);
    p.observeLatency(address(4), 500);
    const funded = [address(2), address(4)].join();
    const asked: string[] = [];
    const accept = async (route: readonly Address[]) => {
      asked.push(route.join());
      return route.join() === funded;
    };
    expect((await p.chooseRoute(modelId, 2)).map((r) => r.runner)).toEqual([address(1), address(3)]);
    expect((await p.chooseRoute(modelId, 2, new Set(), accept)).map((r) => r.runner)).toEqual([
      address(2),
      address(4),
    ]);
    // Best first: the fastest route was asked about first, the funded (slowest) last.
    expect(asked[0]).toBe([address(1), address(3)].join());
    expect(asked.at(-1)).toBe(funded);
    await expect(p.chooseRoute(modelId, 2, new Set(), async () => false)).rejects.toMatchObject({
      name: "RouteUnfundedError",
      status: 402,
    });
  });

  test("routes over verified runners by latency weighted by load", async () => {
    const p = pool();
    p.sync(
      listing([
        { runner: address(1), shard: 0, quoteHash: quote(1) },
        { runner: address(2), shard: 0, quoteHash: quote(1) },
        { runner: address(3), shard: 1, quoteHash: quote(1) },
      ]),
    );
    p.observeLatency(address(1), 500);
    expect((await p.chooseRoute(modelId, 2)).map((r) => r.runner)).toEqual([address(2), address(3)]);
    const release = p.acquire(p.runners(modelId, 0).filter((r) => r.runner === address(2)));
    p.observeLatency(address(2), 400);
    expect((await p.chooseRoute(modelId, 2))[0]!.runner).toBe(address(1));
    release();
    p.markDown(address(1));
    expect((await p.chooseRoute(modelId, 2))[0]!.runner).toBe(address(2));
    expect(p.hasRoute(modelId, 2)).toBe(true);
  });

  test("never routes over a runner whose attestation fails, and says so", async () => {
    refused.add(address(3));
    const p = pool();
    p.sync(
      listing([
        { runner: address(1), shard: 0, quoteHash: quote(1) },
        { runner: address(3), shard: 1, quoteHash: quote(1) },
      ]),
    );
    await expect(p.chooseRoute(modelId, 2)).rejects.toMatchObject({ status: 503 });
    expect(p.get(address(3))?.attestation).toMatchObject({ status: "failed", error: "failed attestation" });
    expect(p.hasRoute(modelId, 2)).toBe(false);
  });

  // A runner registers on-chain before it listens: the first verification can find nobody there.
  test("verifies a runner again after a failed verification once the cooldown has passed", async () => {
    refused.add(address(3));
    const p = pool();
    p.sync(
      listing([
        { runner: address(1), shard: 0, quoteHash: quote(1) },
        { runner: address(3), shard: 1, quoteHash: quote(1) },
      ]),
    );
    await expect(p.chooseRoute(modelId, 2)).rejects.toMatchObject({ status: 503 });
    refused.delete(address(3));
    await expect(p.chooseRoute(modelId, 2)).rejects.toMatchObject({ status: 503 });
    now += 30_001;
    expect((await p.chooseRoute(modelId, 2)).map((r) => r.runner)).toEqual([address(1), address(3)]);
    expect(p.get(address(3))?.attestation.status).toBe("verified");
  });

  test("a health check that finds a failed runner up again verifies it at once", async () => {
    refused.add(address(3));
    const p = pool();
    p.sync(listing([{ runner: address(3), shard: 1, quoteHash: quote(1) }]));
    expect(await p.verify(address(3))).toBe(false);
    refused.delete(address(3));
    const server = createServer((_, response) => response.end("ok"));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    const state = p.get(address(3))!;
    state.endpoint = `http://127.0.0.1:${port}`;
    try {
      expect(await p.checkHealth(address(3))).toBe(true);
    } finally {
      server.close();
    }
    expect(state.attestation.status).toBe("verified");
    expect(state.downUntil).toBe(0);
  });

  test("a runner that keeps failing verification is retried by health checks once, then only after the cooldown", async () => {
    refused.add(address(3));
    const server = createServer((_, response) => response.end("ok"));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const p = pool();
    p.sync(listing([{ runner: address(3), shard: 1, quoteHash: quote(1) }]));
    p.get(address(3))!.endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      expect(await p.verify(address(3))).toBe(false);
      expect(await p.checkHealth(address(3))).toBe(false);
      expect(await p.checkHealth(address(3))).toBe(true);
      expect(verified).toEqual([address(3), address(3)]);
      expect(p.get(address(3))?.attestation).toMatchObject({ status: "failed", failures: 2 });
      await expect(p.chooseRoute(modelId, 2)).rejects.toMatchObject({ status: 503 });
      expect(verified).toHaveLength(2);
    } finally {
      server.close();
    }
  });

  test("verifies again when the quote changes, when the verdict is due, not otherwise", async () => {
    const p = pool();
    const runners = [
      { runner: address(1), shard: 0, quoteHash: quote(1) },
      { runner: address(3), shard: 1, quoteHash: quote(1) },
    ];
    p.sync(listing(runners));
    await p.chooseRoute(modelId, 2);
    const initial = verified.length;
    await p.chooseRoute(modelId, 2);
    p.sync(listing(runners));
    expect(verified.length).toBe(initial);
    p.sync(listing([{ ...runners[0]!, quoteHash: quote(2) }, runners[1]!]));
    expect(p.get(address(1))?.attestation.status).toBe("pending");
    await p.chooseRoute(modelId, 2);
    expect(verified.slice(initial)).toEqual([address(1)]);
    now += 101_000;
    await p.chooseRoute(modelId, 2);
    expect(verified.length).toBe(initial + 3);
    p.sync(listing([runners[1]!]));
    expect(p.get(address(1))).toBeUndefined();
  });
});

describe("rankedRoutes", () => {
  test("lists every route once, the sum of its ranks never falling, the best first", () => {
    let seed = 3;
    const random = (n: number) => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed % n;
    };
    for (let round = 0; round < 200; round++) {
      const perShard = Array.from({ length: 1 + random(4) }, (_, shard) =>
        Array.from({ length: 1 + random(4) }, (_, rank) => `${shard}:${rank}`),
      );
      const routes = rankedRoutes(perShard, 10_000);
      const total = perShard.reduce((n, list) => n * list.length, 1);
      expect(routes).toHaveLength(total);
      expect(new Set(routes.map((r) => r.join())).size).toBe(total);
      expect(routes[0]).toEqual(perShard.map((list) => list[0]));
      const sums = routes.map((r) => r.reduce((sum, hop) => sum + Number(hop.split(":")[1]), 0));
      for (let i = 1; i < sums.length; i++) expect(sums[i]).toBeGreaterThanOrEqual(sums[i - 1]!);
      expect(rankedRoutes(perShard, 3)).toEqual(routes.slice(0, 3));
    }
  });

  test("with too many routes to list, still the best first: each shard's best, then one shard moved down", () => {
    const perShard = Array.from({ length: 5 }, (_, shard) =>
      Array.from({ length: 6 }, (_, rank) => `${shard}:${rank}`),
    );
    const routes = rankedRoutes(perShard, 64);
    expect(routes).toHaveLength(1 + 5 * 5);
    expect(routes[0]).toEqual(perShard.map((list) => list[0]));
    const sums = routes.map((r) => r.reduce((sum, hop) => sum + Number(hop.split(":")[1]), 0));
    for (let i = 1; i < sums.length; i++) expect(sums[i]).toBeGreaterThanOrEqual(sums[i - 1]!);
    expect(new Set(routes.map((r) => r.join())).size).toBe(routes.length);
  });
});
