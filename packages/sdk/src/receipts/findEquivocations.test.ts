import { getAddress, keccak256, toHex } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import {
  equivocationEvidenceHash,
  findEquivocations,
  hashReceipt,
  type Receipt,
  signReceipt,
} from "./index.js";

const domain = { chainId: 31337, runnerRegistry: getAddress("0x5FbDB2315678afecb367f032d93F642f64180aa3") };
const runner = privateKeyToAccount(generatePrivateKey());
const other = privateKeyToAccount(generatePrivateKey());
const receipt: Receipt = {
  modelId: keccak256(toHex("model")),
  shardIndex: 1,
  sessionId: `0x${"ab".repeat(16)}`,
  positionStart: 0,
  positionCount: 17,
  paramsHash: keccak256(toHex("params")),
  inputHash: keccak256(toHex("in")),
  outputHash: keccak256(toHex("out")),
  previousReceipt: keccak256(toHex("previous")),
  issuedAt: 1_800_000_000n,
};
const lie = { ...receipt, outputHash: keccak256(toHex("another out")), issuedAt: 1_800_000_001n };

describe("findEquivocations", () => {
  it("finds the runner's two outputs for one input, once, whatever the order and repeats", async () => {
    const honest = await signReceipt(runner, { receipt, ...domain });
    const second = await signReceipt(runner, { receipt: lie, ...domain });
    const found = await findEquivocations({ receipts: [second, honest, honest, second], ...domain });
    expect(found).toHaveLength(1);
    expect(found[0]!.runner).toBe(runner.address);
    expect(new Set([found[0]!.first, found[0]!.second])).toEqual(new Set([honest, second]));
    const digests = [honest, second].map((s) => hashReceipt({ receipt: s.receipt, ...domain }));
    expect(found[0]!.evidenceHash).toBe(equivocationEvidenceHash(digests[1]!, digests[0]!));
    const [low, high] = BigInt(digests[0]!) < BigInt(digests[1]!) ? digests : [digests[1]!, digests[0]!];
    expect(found[0]!.evidenceHash).toBe(keccak256(`0x${low!.slice(2)}${high!.slice(2)}`));
  });

  it.each([
    ["input", { inputHash: keccak256(toHex("x")) }],
    ["params", { paramsHash: keccak256(toHex("x")) }],
    ["session", { sessionId: `0x${"cd".repeat(16)}` }],
    ["positions", { positionCount: 16 }],
    ["shard", { shardIndex: 2 }],
    ["model", { modelId: keccak256(toHex("x")) }],
    ["output (the same)", { outputHash: receipt.outputHash }],
  ] as const)("finds nothing when the %s differs", async (_, change) => {
    const honest = await signReceipt(runner, { receipt, ...domain });
    const second = await signReceipt(runner, { receipt: { ...lie, ...change }, ...domain });
    expect(await findEquivocations({ receipts: [honest, second], ...domain })).toEqual([]);
  });

  it("finds nothing across two keys, or under another domain", async () => {
    const honest = await signReceipt(runner, { receipt, ...domain });
    expect(
      await findEquivocations({
        receipts: [honest, await signReceipt(other, { receipt: lie, ...domain })],
        ...domain,
      }),
    ).toEqual([]);
    const elsewhere = { ...domain, chainId: 1 };
    const found = await findEquivocations({
      receipts: [honest, await signReceipt(runner, { receipt: lie, ...domain })],
      ...elsewhere,
    });
    expect(found.every((e) => e.runner !== runner.address)).toBe(true);
  });
});
