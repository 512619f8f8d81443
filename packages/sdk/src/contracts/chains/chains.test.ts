import { defineChainAt, isLocalChainId, LOCAL_CHAIN_ID, LOCAL_CHAIN_IDS, localChain } from "./index.js";

describe("defineChainAt", () => {
  test("a chain of the id, with ether and the one RPC URL, named chain <id> by default", () => {
    const chain = defineChainAt({ id: 8453, rpcUrl: "https://rpc.example/base" });
    expect(chain).toMatchObject({
      id: 8453,
      name: "chain 8453",
      nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
      rpcUrls: { default: { http: ["https://rpc.example/base"] } },
    });
  });

  test("takes a name", () => {
    expect(defineChainAt({ id: 1, rpcUrl: "http://x", name: "mainnet" }).name).toBe("mainnet");
  });
});

describe("the local chain", () => {
  test("is Hardhat's 31337 at its default address", () => {
    expect(LOCAL_CHAIN_ID).toBe(31337);
    expect(localChain).toMatchObject({
      id: LOCAL_CHAIN_ID,
      name: "Local Hardhat",
      rpcUrls: { default: { http: ["http://127.0.0.1:8545"] } },
    });
  });

  test.each([
    [31337, true],
    [31337n, true],
    [1337, true],
    [1, false],
    [8453n, false],
    [0, false],
  ])("isLocalChainId(%p) is %p", (chainId, local) => {
    expect(isLocalChainId(chainId)).toBe(local);
  });

  test("local chain ids are Hardhat's and Ganache/Geth dev's", () => {
    expect([...LOCAL_CHAIN_IDS]).toEqual([31337, 1337]);
  });
});
