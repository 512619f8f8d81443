import type { Address } from "viem";

/** A runner as a route needs it: its address and the shard it serves. */
export type RoutableRunner = { address: Address; shardIndex: number };

/**
 * Every route the runners make, one runner per shard in shard order: what a buyer allocates to so that any route a
 * gateway picks among them is paid for. Empty when a shard has no runner.
 * @example
 * routesOf([{ address: a, shardIndex: 0 }, { address: b, shardIndex: 0 }, { address: c, shardIndex: 1 }]);
 * // [[a, c], [b, c]]
 */
export function routesOf(runners: readonly RoutableRunner[]): Address[][] {
  const shards = runners.reduce((count, r) => Math.max(count, r.shardIndex + 1), 0);
  let routes: Address[][] = shards === 0 ? [] : [[]];
  for (let shard = 0; shard < shards; shard++) {
    const hops = runners.filter((r) => r.shardIndex === shard).map((r) => r.address);
    routes = routes.flatMap((route) => hops.map((hop) => [...route, hop]));
  }
  return routes;
}
