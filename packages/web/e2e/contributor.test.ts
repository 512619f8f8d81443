/**
 * A contributor in the browser: stakes, sees its runner and the earnings a redeemed voucher credited to it, and
 * withdraws them; then the network explorer. Every step is read back from the chain.
 */
import { getEarnings, getStake, redeemVoucher, signVoucher } from "@teetee/sdk";
import type { Page } from "playwright-core";
import { type Account, formatUnits, keccak256, toHex } from "viem";
import { type Harness, screenshots, startHarness } from "./harness.js";

let h: Harness;
let page: Page;
let contributor: Account;
const tUsd = (whole: number) => BigInt(Math.round(whole * 1e6));

beforeAll(async () => {
  h = await startHarness();
  contributor = h.market.contributors[0]!.account;
  ({ page } = await h.open(contributor as Parameters<Harness["open"]>[0]));
  await page.goto(`${h.web.url}#/host`);
  await page.locator(".connect-prompt").getByRole("button", { name: "Connect wallet" }).click();
});

afterAll(async () => {
  await h?.stop();
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

test("sees earnings after a paid request is settled, and withdraws them", async () => {
  const { market } = h;
  const voucher = {
    buyer: market.buyer.account.address,
    modelId: market.model.modelId,
    sessionId: keccak256(toHex("contributor e2e")),
    route: market.route,
    amount: tUsd(4),
  };
  const signature = await signVoucher(market.admin, {
    contracts: contracts(),
    voucher,
    account: market.apiKey.signer,
  });
  await market.send(redeemVoucher(market.admin, { contracts: contracts(), voucher, signature }));
  const earned = await getEarnings(market.publicClient, {
    contracts: contracts(),
    contributor: contributor.address,
  });
  const share = BigInt(market.model.shards[0]!.shareBps);
  expect(earned).toBe((tUsd(4) * share) / 10_000n);
  await page.reload();
  await page
    .getByTestId("earnings-unwithdrawn")
    .getByText(`${formatUnits(earned, 6)} tUSD`)
    .waitFor();
  await page.locator("svg.chart").waitFor();
  await page.getByTestId("runners").getByText("Offline").waitFor();
  await screenshots(page, "contributor");
  await page.getByRole("button", { name: "Withdraw earnings" }).click();
  await approveInDialog(/Open wallet/);
  expect(
    await getEarnings(market.publicClient, { contracts: contracts(), contributor: contributor.address }),
  ).toBe(0n);
  await page.getByTestId("earnings-unwithdrawn").getByText("0.00 tUSD").waitFor();
});

test("the explorer lists the model, its shards, prices, shares and runners", async () => {
  await page.goto(`${h.web.url}#/network`);
  await page.getByTestId("model").waitFor();
  await expect(page.getByTestId("input-price").textContent()).resolves.toBe("2.00 tUSD / 1M tokens");
  for (const [i, runner] of h.market.route.entries()) {
    await page
      .getByTestId(`shard-${i}`)
      .getByText(`${runner.slice(0, 6)}…${runner.slice(-4)}`)
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
