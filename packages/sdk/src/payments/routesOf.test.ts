import type { Address } from "viem";
import { routesOf } from "./routesOf.js";

const a = "0x00000000000000000000000000000000000000aa" as Address;
const b = "0x00000000000000000000000000000000000000bb" as Address;
const c = "0x00000000000000000000000000000000000000cc" as Address;

describe("routesOf", () => {
  test("crosses the runners of each shard, in shard order", () => {
    expect(
      routesOf([
        { address: c, shardIndex: 1 },
        { address: a, shardIndex: 0 },
        { address: b, shardIndex: 0 },
      ]),
    ).toEqual([
      [a, c],
      [b, c],
    ]);
  });

  test("makes no route when a shard has no runner, or there are none", () => {
    expect(routesOf([{ address: c, shardIndex: 1 }])).toEqual([]);
    expect(routesOf([])).toEqual([]);
  });
});
