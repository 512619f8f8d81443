/** What `pnpm start` prints: the demo at a glance, and then how to use the running network. */
import { type Address, formatUnits, type Hex } from "viem";
import type { DevnetSummary } from "../summary.js";
import type { DemoRequest } from "../traffic.js";

/** The summary as `--json` prints it: one object, amounts (bigints) as decimal strings. */
export function reportJson(value: DemoReport & Usage): string {
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === "bigint" ? v.toString() : v), 2);
}

export type DemoRunnerReport = {
  name: string;
  shardIndex: number;
  runner: Address;
  contributor: Address;
  contributorName: string;
  url: string;
  attestation: { verified: boolean; kind: string; expiresAt: number | undefined };
};

export type DemoReport = Omit<DevnetSummary, "rpcUrl"> & {
  rpcUrl: string;
  modelName: string;
  runners: DemoRunnerReport[];
  requests: DemoRequest[];
  totals: { promptTokens: number; completionTokens: number; cost: bigint; paid: bigint };
};

export type Usage = {
  gatewayUrl: string;
  webUrl: string;
  apiKey: string;
  envFile: string;
  logDir: string;
  out: string;
  rpcUrl: string;
  model: string;
};

const tUsd = (value: bigint) => `${formatUnits(value, 6)} tUSD`;
const short = (value: Hex | string) => `${value.slice(0, 10)}…`;
const quoted = (text: string, max = 40) =>
  JSON.stringify(text.length > max ? `${text.slice(0, max)}…` : text);

function runnerLines(report: DemoReport): string[] {
  return report.runners.map((r) => {
    const until =
      r.attestation.expiresAt === undefined
        ? ""
        : `, until ${new Date(r.attestation.expiresAt * 1000).toISOString().slice(0, 16)}Z`;
    const status = r.attestation.verified ? `verified (${r.attestation.kind} quote${until})` : "NOT VERIFIED";
    return `    ${r.name.padEnd(9)} shard ${r.shardIndex}  ${r.runner}  ${r.contributorName.padEnd(13)} ${r.url}  ${status}`;
  });
}

function requestLines(report: DemoReport): string[] {
  return report.requests.map((r, i) => {
    const route = r.route.map((hop) => `${short(hop.runner)} ${hop.attestation}`).join(" → ");
    return [
      `    ${i + 1}. ${quoted(r.prompt)}${r.stream ? " (streamed)" : ""} → ${quoted(r.reply, 32)}`,
      `       ${r.promptTokens} + ${r.completionTokens} tokens, cost ${tUsd(r.cost)}, route ${route}`,
    ].join("\n");
  });
}

export function printReport(report: DemoReport): void {
  const { totals, gas } = report;
  const lines = [
    "",
    "TeeTee local network: demo complete",
    `  chain RPC      ${report.rpcUrl} (chain id ${report.chainId}), deployment ${report.deploymentFile}`,
    `  model          ${report.modelName} ${report.modelId}`,
    `  prices         ${tUsd(report.prices.inputPricePerMTok)} in / ${tUsd(report.prices.outputPricePerMTok)} out per 1M tokens; stake ${tUsd(report.prices.minStake)} per runner`,
    `  compose hash   ${report.composeHash} (development TEE)`,
    `  OS image       ${report.osImage} (development TEE: SHA-256 of MRTD, RTMR0-2)`,
    "  shards",
    ...report.shards.map(
      (s) =>
        `    shard ${s.index}  layers [${s.layerStart}, ${s.layerEnd})  share ${s.shareBps} bps  weights ${short(s.weightsHash)}`,
    ),
    "  runners (attestation checked as `teetee verify` checks it)",
    ...runnerLines(report),
    "  requests (official OpenAI client, the buyer's API key)",
    ...requestLines(report),
    `  tokens         ${totals.promptTokens} prompt + ${totals.completionTokens} completion`,
    `  cost           ${tUsd(totals.cost)} charged; ${tUsd(totals.paid)} paid from the buyer's escrow on-chain (now ${tUsd(report.buyer.escrowBalance)} unallocated)`,
    ...report.buyer.allocations.map(
      (a) => `    allocation   ${tUsd(a.amount)} left for route ${a.route.map(short).join(" -> ")}`,
    ),
    "  earnings",
    ...report.contributors.map(
      (c) =>
        `    ${c.name.padEnd(13)} ${c.address}  ${tUsd(c.earnings)}  (staked ${tUsd(c.staked)}, locked ${tUsd(c.locked)})`,
    ),
    `    ${"treasury".padEnd(13)} ${report.treasury.address}  ${tUsd(report.treasury.balance)}`,
    `  gas used       ${gas.total} in total`,
    `    by account   ${Object.entries(gas.byActor)
      .map(([name, used]) => `${name} ${used}`)
      .join(", ")}`,
    `    by call      ${Object.entries(gas.byCall)
      .sort(([, a], [, b]) => (a > b ? -1 : 1))
      .map(([name, used]) => `${name} ${used}`)
      .join(", ")}`,
  ];
  console.log(lines.join("\n"));
}

export function printUsage(usage: Usage): void {
  const lines = [
    "",
    "Use it",
    `  web app        ${usage.webUrl} (connect a wallet on chain 31337 at ${usage.rpcUrl})`,
    `  gateway        ${usage.gatewayUrl}/v1 (OpenAI-compatible)`,
    `  API key        ${usage.apiKey}`,
    `  chain RPC      ${usage.rpcUrl}`,
    `  environment    set -a; . ${usage.envFile}; set +a   (then: pnpm teetee balance, pnpm teetee chat "Hello")`,
    "  other roles    the curator's and contributors' keys are in it too: pnpm teetee --key-env TEETEE_CONTRIBUTOR_1_KEY ...",
    `  logs           ${usage.logDir}/<service>.log`,
    `  status         pnpm teetee devnet status --out ${usage.out}`,
    "  curl",
    `    curl ${usage.gatewayUrl}/v1/chat/completions -H "Authorization: Bearer ${usage.apiKey}" \\`,
    `      -H "Content-Type: application/json" -d '{"model":"${usage.model}","messages":[{"role":"user","content":"Hello"}],"max_tokens":16}'`,
    "  OpenAI client (TypeScript)",
    `    const client = new OpenAI({ baseURL: "${usage.gatewayUrl}/v1", apiKey: process.env.TEETEE_API_KEY });`,
    `    const reply = await client.chat.completions.create({ model: "${usage.model}", messages: [{ role: "user", content: "Hello" }] });`,
  ];
  console.log(lines.join("\n"));
}
