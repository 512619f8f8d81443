/**
 * A buyer in the browser: deposits with a permit, creates an API key, sees it spent by a voucher signed with that
 * key, withdraws after the thaw. Every step is read back from the chain.
 */
import {
  channelId,
  getChannelPaid,
  getEscrowAccount,
  getSessionSigner,
  getTokenBalance,
  mintTestToken,
  parseApiKey,
  redeemVoucher,
  signVoucher,
} from "@teetee/sdk";
import type { Page } from "playwright-core";
import { keccak256, toHex } from "viem";
import { mnemonicToAccount } from "viem/accounts";
import { LOCAL_MNEMONIC } from "../../../scripts/lib/localChain.js";
import { advanceTime, type Harness, screenshots, startHarness } from "./harness.js";

const buyer = mnemonicToAccount(LOCAL_MNEMONIC, { addressIndex: 10 });
const tUsd = (whole: number) => BigInt(Math.round(whole * 1e6));
let h: Harness;
let page: Page;
let apiKey: string;

beforeAll(async () => {
  h = await startHarness();
  const { market } = h;
  await market.send(
    mintTestToken(market.admin, { contracts: market.deployment, to: buyer.address, amount: tUsd(100) }),
  );
  ({ page } = await h.open(buyer));
  await page.goto(`${h.web.url}#/buy`);
});

afterAll(async () => {
  await h?.stop();
});

const contracts = () => h.market.deployment;

async function approveInDialog(button: RegExp) {
  const dialog = page.getByRole("dialog");
  await dialog.getByRole("button", { name: button }).click();
  await dialog.getByText("Done.").waitFor({ timeout: 60_000 });
}

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

test("the key pays for requests: a voucher it signs is redeemed and shows in the history", async () => {
  const { market } = h;
  const key = parseApiKey(apiKey);
  const voucher = {
    buyer: buyer.address,
    modelId: market.model.modelId,
    sessionId: keccak256(toHex("web e2e session")),
    route: market.route,
    amount: tUsd(1.5),
  };
  const signature = await signVoucher(market.admin, { contracts: contracts(), voucher, account: key.signer });
  await market.send(redeemVoucher(market.admin, { contracts: contracts(), voucher, signature }));
  const paid = await getChannelPaid(market.publicClient, {
    contracts: contracts(),
    channelId: channelId(voucher),
  });
  expect(paid).toBe(tUsd(1.5));
  await page.reload();
  await page.getByTestId("history").getByText("Paid for requests").waitFor();
  await page.getByTestId("escrow-balance").getByText("23.50 tUSD").waitFor();
  await page.getByTestId("key-list").getByText("1.50 tUSD").waitFor();
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
  expect(after.balance).toBe(tUsd(13.5));
  expect(after.thawing).toBe(0n);
});
