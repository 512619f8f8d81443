/**
 * A contributor in the browser: stakes, sees its runner (a real paid runner process) and the earnings a paid request
 * through the gateway over that runner credited to it, and withdraws them; then the network explorer. Every step is
 * read back from the chain.
 */

import type { TeeTeeMetadata } from "@teetee/gateway";
import { getEarnings, getStake } from "@teetee/sdk/contracts";
import OpenAI from "openai";
import type { Page } from "playwright-core";
import type { Account } from "viem";
import { formatToken } from "../src/chain/format.js";
import { type Harness, screenshots } from "./harness.js";
import { GATEWAY_MODEL, type PaidHarness, startPaidHarness, until } from "./paidNetwork.js";

let h: PaidHarness;
let page: Page;
let contributor: Account;
const tUsd = (whole: number) => BigInt(Math.round(whole * 1e6));

beforeAll(async () => {
  h = await startPaidHarness();
  contributor = h.market.contributors[0]!.account;
  ({ page } = await h.open(contributor as Parameters<Harness["open"]>[0]));
  await page.goto(`${h.web.url}#/host`);
  await page.locator(".connect-prompt").getByRole("button", { name: "Connect wallet" }).click();
}, 240_000);

afterAll(async () => {
  await h?.stopAll();
});

const contracts = () => h.market.deployment;

async function approveInDialog(button: RegExp) {
  const dialog = page.getByRole("dialog");
  await dialog.getByRole("button", { name: button }).click();
  await dialog.getByText("Done.").waitFor({ timeout: 60_000 });
  await dialog.getByRole("button", { name: "Close" }).click();
}

test("stakes with an approval and a stake transaction", async () => {
  const before = await getStake(h.market.publicClient, {
    contracts: contracts(),
    staker: contributor.address,
  });
  await page.getByLabel("Add stake").fill("150");
  await page.getByRole("button", { name: "Stake", exact: true }).click();
  await approveInDialog(/Open wallet \(2 prompts\)/);
  const after = await getStake(h.market.publicClient, {
    contracts: contracts(),
    staker: contributor.address,
  });
  expect(after.staked - before.staked).toBe(tUsd(150));
  expect(after.locked).toBe(h.market.model.minStake);
  await page.getByTestId("staked").getByText("151.00 tUSD").waitFor();
});

test("sees earnings after a paid request through its runner is settled, and withdraws them", async () => {
  const { market } = h;
  const runner = h.runners.find((r) => r.contributor === contributor.address)!;
  expect(runner).toBeDefined();
  const before = await getEarnings(market.publicClient, {
    contracts: contracts(),
    contributor: contributor.address,
  });
  expect(before).toBe(0n);
  const client = new OpenAI({ apiKey: market.apiKeyString, baseURL: `${h.gatewayUrl}/v1`, maxRetries: 0 });
  const completion = await client.chat.completions.create({
    model: GATEWAY_MODEL,
    messages: [{ role: "user", content: "Pay my contributor." }],
    max_tokens: 12,
    temperature: 0,
  });
  const teetee = (completion as unknown as { teetee: TeeTeeMetadata }).teetee;
  const hop = teetee.route.find((r) => r.runner.toLowerCase() === runner.runner.toLowerCase())!;
  expect(hop).toBeDefined();
  expect(hop.contributor.toLowerCase()).toBe(contributor.address.toLowerCase());
  const cost = BigInt(teetee.cost);
  expect(cost).toBeGreaterThan(0n);
  let earned = 0n;
  await until(async () => {
    earned = await getEarnings(market.publicClient, {
      contracts: contracts(),
      contributor: contributor.address,
    });
    return earned > 0n;
  }, 60_000);
  const share = BigInt(market.model.shards[runner.shardIndex]!.shareBps);
  expect(earned).toBe((cost * share) / 10_000n);
  await page.reload();
  await page
    .getByTestId("earnings-unwithdrawn")
    .getByText(formatToken(earned, { symbol: "tUSD", decimals: 6 }))
    .waitFor();
  await page.locator("svg.chart").waitFor();
  await page.getByTestId("runners").getByText("Online").waitFor();
  await screenshots(page, "contributor");
  await page.getByRole("button", { name: "Withdraw earnings" }).click();
  await approveInDialog(/Open wallet/);
  expect(
    await getEarnings(market.publicClient, { contracts: contracts(), contributor: contributor.address }),
  ).toBe(0n);
  await page.getByTestId("earnings-unwithdrawn").getByText("0.00 tUSD").waitFor();
});

test("the explorer lists the model, its allowed OS images and compose hashes, shards, prices, shares, runners and their load", async () => {
  await page.goto(`${h.web.url}#/network`);
  await page.getByTestId("model").waitFor();
  await expect(page.getByTestId("input-price").textContent()).resolves.toBe("2.00 tUSD / 1M tokens");
  // The OS images and compose hashes the curator allowed, each exactly as the chain holds it.
  await expect(page.getByTestId("os-images").textContent()).resolves.toBe(h.market.model.osImages.join(""));
  await expect(page.getByTestId("compose-hashes").textContent()).resolves.toBe(
    h.market.model.composeHashes.join(""),
  );
  for (const [i, runner] of h.runners.map((r) => r.runner).entries()) {
    await page
      .getByTestId(`shard-${i}`)
      .getByText(`${runner.slice(0, 6)}…${runner.slice(-4)}`)
      .waitFor();
    // Each runner's load, read from its GET /v1/load through the app server's proxy.
    await page
      .getByTestId(`shard-${i}`)
      .getByText(/^\d+\/\d+ sessions · \d+ queued$/)
      .waitFor();
  }
  await screenshots(page, "explorer");
});

test("register-runner form checks a runner URL and explains why it cannot register", async () => {
  await page.goto(`${h.web.url}#/host`);
  await page.getByRole("button", { name: "Register a runner" }).click();
  await page.getByLabel("Runner URL").fill("http://127.0.0.1:1");
  await page.getByRole("button", { name: "Check runner" }).click();
  await page.getByTestId("register-runner").getByRole("alert").waitFor();
  await expect(page.getByTestId("register-runner").getByRole("alert").textContent()).resolves.toMatch(
    /answered HTTP 502|did not|reach/,
  );
});
