/**
 * A buyer in the browser: deposits with a permit, creates an API key, allocates part of the deposit to the runners'
 * route, pays for real requests with it (the official `openai` client and the Playground, through the gateway over
 * paid runner processes; the route's allocation pays), withdraws after the thaw.
 * Every step is read back from the chain.
 */

import { LOCAL_MNEMONIC } from "@teetee/devnet";
import type { TeeTeeMetadata } from "@teetee/gateway";
import {
  allocationId,
  computeCost,
  getAllocation,
  getEscrowAccount,
  getSessionSigner,
  getTokenBalance,
  mintTestToken,
} from "@teetee/sdk/contracts";
import { parseApiKey } from "@teetee/sdk/payments";
import OpenAI from "openai";
import type { Page } from "playwright-core";
import { mnemonicToAccount } from "viem/accounts";
import { formatToken } from "../src/chain/format.js";
import { advanceTime, screenshots } from "./harness.js";
import { GATEWAY_MODEL, type PaidHarness, startPaidHarness, until } from "./paidNetwork.js";

const buyer = mnemonicToAccount(LOCAL_MNEMONIC, { addressIndex: 10 });
const tUsd = (whole: number) => BigInt(Math.round(whole * 1e6));
const shown = (value: bigint) => formatToken(value, { symbol: "tUSD", decimals: 6 });
let h: PaidHarness;
let page: Page;
let apiKey: string;
/** What the key's requests cost, summed from the gateway's `teetee.cost`. */
let charged = 0n;

beforeAll(async () => {
  h = await startPaidHarness();
  const { market } = h;
  await market.send(
    mintTestToken(market.admin, { contracts: market.deployment, to: buyer.address, amount: tUsd(100) }),
  );
  ({ page } = await h.open(buyer));
  await page.goto(`${h.web.url}#/buy`);
}, 240_000);

afterAll(async () => {
  await h?.stopAll();
});

const contracts = () => h.market.deployment;

async function approveInDialog(button: RegExp) {
  const dialog = page.getByRole("dialog");
  await dialog.getByRole("button", { name: button }).click();
  await dialog.getByText("Done.").waitFor({ timeout: 60_000 });
}

test("the first page, without a wallet, says what TeeTee is, names the served models and how to connect", async () => {
  const context = await h.browser.newContext({ viewport: { width: 1280, height: 900 } });
  try {
    const first = await context.newPage();
    await first.goto(h.web.url);
    const home = first.getByTestId("home");
    await home
      .getByRole("heading", { name: "Large language models hosted together, in attested TEEs" })
      .waitFor();
    await expect(home.textContent()).resolves.toMatch(
      /split into layer ranges.*Trusted Execution Environment/,
    );
    const model = home.getByTestId("home-model");
    await model.getByRole("heading", { name: GATEWAY_MODEL }).waitFor();
    await expect(model.textContent()).resolves.toContain("2 shards");
    const connect = home.getByTestId("home-connect");
    await connect.getByRole("heading", { name: "Connect a wallet" }).waitFor();
    await expect(connect.textContent()).resolves.toContain(
      "open this page in a browser with an Ethereum wallet",
    );
    await screenshots(first, "home-no-wallet");
  } finally {
    await context.close();
  }
  // With a wallet in the browser, not yet connected, the step is the button that connects it.
  await page.goto(h.web.url);
  await page.getByTestId("home-connect").getByRole("button", { name: "Connect wallet" }).waitFor();
  await page.goto(`${h.web.url}#/buy`);
});

test("connects and shows the wallet's token balance", async () => {
  await page.locator(".connect-prompt").getByRole("button", { name: "Connect wallet" }).click();
  await page.getByTestId("wallet-balance").getByText("100.00 tUSD").waitFor();
  await screenshots(page, "buyer-empty");
});

test("deposits with one permit signature and one transaction", async () => {
  await page.getByLabel("Add to deposit").fill("25");
  await page.getByRole("button", { name: "Deposit", exact: true }).click();
  const dialog = page.getByRole("dialog");
  await dialog.getByText("Sign a permit for 25.00 tUSD").waitFor();
  await screenshots(page, "buyer-deposit-review");
  await approveInDialog(/Open wallet \(2 prompts\)/);
  await dialog.getByRole("button", { name: "Close" }).click();
  const account = await getEscrowAccount(h.market.publicClient, {
    contracts: contracts(),
    buyer: buyer.address,
  });
  expect(account.balance).toBe(tUsd(25));
  await page.getByTestId("escrow-balance").getByText("25.00 tUSD").waitFor();
});

test("creates an API key, authorised on-chain with its limit, shown once with a snippet", async () => {
  await page.getByLabel("Spend limit").fill("5");
  await page.getByRole("button", { name: "Create API key" }).click();
  await approveInDialog(/Open wallet/);
  apiKey = (await page.getByTestId("new-api-key").textContent()) ?? "";
  expect(apiKey).toMatch(/^tt_[0-9a-f]{40}_[0-9a-f]{64}$/);
  await expect(page.locator("pre.code").textContent()).resolves.toContain(apiKey);
  await screenshots(page, "buyer-api-key-created");
  await page.getByRole("dialog").getByRole("button", { name: "Close" }).click();
  const key = parseApiKey(apiKey);
  expect(key.buyer).toBe(buyer.address);
  const signer = await getSessionSigner(h.market.publicClient, {
    contracts: contracts(),
    buyer: buyer.address,
    signer: key.signer.address,
  });
  expect(signer.spendLimit).toBe(tUsd(5));
  expect(Number(signer.validUntil)).toBeGreaterThan(Date.now() / 1000 + 29 * 86_400);
  await page.getByTestId("key-list").getByText("Active").waitFor();
});

test("allocates part of the deposit to every route the runners make", async () => {
  await page.getByTestId("route-allocations").getByText(/→/).waitFor();
  await page.getByLabel("Allocate to every route").fill("10");
  await page.getByRole("button", { name: "Allocate", exact: true }).click();
  await approveInDialog(/Open wallet/);
  await page.getByRole("dialog").getByRole("button", { name: "Close" }).click();
  expect((await getAllocation(h.market.publicClient, routeAllocation())).amount).toBe(tUsd(10));
  await page.getByTestId("allocated").getByText("10.00 tUSD").waitFor();
  await page.getByTestId("escrow-balance").getByText("15.00 tUSD").waitFor();
});

/** The buyer's allocation to the harness runners' route. */
function routeAllocation() {
  const route = h.runners.map((r) => r.runner);
  const modelId = h.market.model.modelId;
  return { contracts: contracts(), allocationId: allocationId({ buyer: buyer.address, modelId, route }) };
}

/** The key's `spent`, the buyer's escrow balance and its route's allocation, from the chain. */
async function keyState() {
  const key = parseApiKey(apiKey);
  const [signer, account, allocation] = await Promise.all([
    getSessionSigner(h.market.publicClient, {
      contracts: contracts(),
      buyer: buyer.address,
      signer: key.signer.address,
    }),
    getEscrowAccount(h.market.publicClient, { contracts: contracts(), buyer: buyer.address }),
    getAllocation(h.market.publicClient, routeAllocation()),
  ]);
  return { spent: signer.spent, balance: account.balance, allocated: allocation.amount };
}

/** Waits for the runners to redeem the key's vouchers up to `total`. */
async function settled(total: bigint) {
  await until(async () => (await keyState()).spent === total, 60_000);
  return keyState();
}

test("the key works with the official openai client; the runners settle exactly its cost", async () => {
  const before = await keyState();
  expect(before).toEqual({ spent: 0n, balance: tUsd(15), allocated: tUsd(10) });
  const client = new OpenAI({ apiKey, baseURL: `${h.gatewayUrl}/v1`, maxRetries: 0 });
  expect((await client.models.list()).data.map((m) => m.id)).toEqual([GATEWAY_MODEL]);
  const completion = await client.chat.completions.create({
    model: GATEWAY_MODEL,
    messages: [{ role: "user", content: "Say something about shards." }],
    max_tokens: 12,
    temperature: 0,
  });
  expect(typeof completion.choices[0]!.message.content).toBe("string");
  const usage = completion.usage!;
  expect(usage.prompt_tokens).toBeGreaterThan(0);
  expect(usage.completion_tokens).toBeGreaterThan(0);
  const teetee = (completion as unknown as { teetee: TeeTeeMetadata }).teetee;
  expect(teetee.payment.free).toBe(false);
  expect(teetee.usage).toEqual({ input_tokens: usage.prompt_tokens, output_tokens: usage.completion_tokens });
  expect(teetee.route.map((hop) => hop.runner)).toEqual(h.runners.map((r) => r.runner));
  const cost = BigInt(teetee.cost);
  expect(cost).toBe(
    computeCost({
      inputTokens: BigInt(usage.prompt_tokens),
      outputTokens: BigInt(usage.completion_tokens),
      inputPricePerMTok: h.market.model.inputPricePerMTok,
      outputPricePerMTok: h.market.model.outputPricePerMTok,
    }),
  );
  expect(cost).toBeGreaterThan(0n);
  const after = await settled(cost);
  expect(after.spent - before.spent).toBe(cost);
  expect(before.allocated - after.allocated).toBe(cost);
  expect(after.balance).toBe(before.balance);
  charged += cost;
  await page.reload();
  await page.getByTestId("history").getByText("Paid for requests").waitFor();
  await page
    .getByTestId("allocated")
    .getByText(shown(tUsd(10) - cost))
    .waitFor();
  await page.getByTestId("key-list").getByText(shown(cost)).waitFor();
});

test("the Playground answers with that key and shows the cost, the route and its verified receipts", async () => {
  await page.goto(`${h.web.url}#/network`);
  const playground = page.getByTestId("playground");
  await playground.getByLabel("API key").fill(apiKey);
  const responded = page.waitForResponse((r) => r.url().includes("/gateway/v1/chat/completions"), {
    timeout: 60_000,
  });
  await playground.getByRole("button", { name: "Send" }).click();
  const body = (await (await responded).json()) as { teetee: TeeTeeMetadata };
  const cost = BigInt(body.teetee.cost);
  expect(cost).toBeGreaterThan(0n);
  const answer = playground.getByTestId("answer");
  await answer.waitFor({ timeout: 60_000 });
  await expect(answer.getByTestId("answer-cost").textContent()).resolves.toBe(shown(cost));
  await expect(answer.locator("ol.route li").count()).resolves.toBe(h.runners.length);
  for (const runner of h.runners) {
    await answer.getByText(`${runner.runner.slice(0, 6)}…${runner.runner.slice(-4)}`).waitFor();
  }
  // The receipts verify in the browser, the text too: the tokenizer comes from the gateway, checked against the id.
  const receipts = answer.getByTestId("answer-receipts");
  await receipts.getByText("verified", { exact: true }).waitFor({ timeout: 60_000 });
  for (const title of [
    "The text is what the completion tokens decode to",
    "The tokenizer files are the ones the model id commits to",
    "The answer shown is the text the receipts cover",
  ]) {
    await receipts.locator("li.check-pass", { hasText: title }).waitFor();
  }
  await expect(receipts.locator("li.check-fail, li.check-skip").count()).resolves.toBe(0);
  await page.evaluate(() => window.scrollTo(0, 0));
  await screenshots(page, "playground");
  // An answer edited on its way to the page no longer matches what its receipts cover.
  let editedCost = 0n;
  await page.route("**/gateway/v1/chat/completions", async (route) => {
    const response = await route.fetch();
    const edited = (await response.json()) as {
      teetee: TeeTeeMetadata;
      choices: { message: { content: string } }[];
    };
    editedCost = BigInt(edited.teetee.cost);
    edited.choices[0]!.message.content += " (edited)";
    await route.fulfill({ response, json: edited });
  });
  await playground.getByRole("button", { name: "Send" }).click();
  const newest = playground.getByTestId("answer").first();
  await newest.getByText(/\(edited\)/).waitFor({ timeout: 60_000 });
  const refused = newest.getByTestId("answer-receipts");
  await refused.getByText("not verified", { exact: true }).waitFor({ timeout: 60_000 });
  await refused
    .locator("li.check-fail", { hasText: "The answer shown is the text the receipts cover" })
    .waitFor();
  await refused
    .locator("li.check-pass", { hasText: "The text is what the completion tokens decode to" })
    .waitFor();
  await page.unroute("**/gateway/v1/chat/completions");
  expect(editedCost).toBeGreaterThan(0n);
  const before = await keyState();
  const after = await settled(charged + cost + editedCost);
  expect(before.allocated - after.allocated).toBe(after.spent - before.spent);
  expect(after.allocated).toBe(tUsd(10) - charged - cost - editedCost);
  charged += cost + editedCost;
  await page.goto(`${h.web.url}#/buy`);
  await page
    .getByTestId("allocated")
    .getByText(shown(tUsd(10) - charged))
    .waitFor();
});

test("withdraws after the thaw, with the countdown in between", async () => {
  await page.getByLabel("Withdraw from deposit").fill("10");
  await page.getByRole("button", { name: "Start withdrawal" }).click();
  await approveInDialog(/Open wallet/);
  await page.getByRole("dialog").getByRole("button", { name: "Close" }).click();
  await page
    .getByTestId("thaw-status")
    .getByText(/ready in/)
    .waitFor();
  const thawing = await getEscrowAccount(h.market.publicClient, {
    contracts: contracts(),
    buyer: buyer.address,
  });
  expect(thawing.thawing).toBe(tUsd(10));
  await screenshots(page, "buyer");
  await advanceTime(h.chain.rpcUrl, 3601);
  await page.reload();
  await page.getByRole("button", { name: "Withdraw now" }).click();
  await approveInDialog(/Open wallet/);
  const balance = await getTokenBalance(h.market.publicClient, {
    contracts: contracts(),
    owner: buyer.address,
  });
  expect(balance).toBe(tUsd(100 - 25 + 10));
  const after = await getEscrowAccount(h.market.publicClient, {
    contracts: contracts(),
    buyer: buyer.address,
  });
  expect(after.balance).toBe(tUsd(5));
  expect(after.thawing).toBe(0n);
});
