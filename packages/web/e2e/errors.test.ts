/** Failures in words: a wrong chain, a rejected signature, an insufficient balance, a contract's custom error. */

import { LOCAL_MNEMONIC } from "@teetee/devnet";
import { getEscrowAccount, mintTestToken } from "@teetee/sdk/contracts";
import type { Page } from "playwright-core";
import { mnemonicToAccount } from "viem/accounts";
import { type Harness, screenshots, startHarness } from "./harness.js";
import type { TestWallet } from "./wallet.js";

const person = mnemonicToAccount(LOCAL_MNEMONIC, { addressIndex: 11 });
let h: Harness;
let page: Page;
let wallet: TestWallet;

beforeAll(async () => {
  h = await startHarness();
  await h.market.send(
    mintTestToken(h.market.admin, {
      contracts: h.market.deployment,
      to: person.address,
      amount: 20_000_000n,
    }),
  );
  ({ page, wallet } = await h.open(person, { chainId: 1 }));
  await page.goto(`${h.web.url}#/buy`);
  await page.locator(".connect-prompt").getByRole("button", { name: "Connect wallet" }).click();
});

afterAll(async () => {
  await h?.stop();
});

const dialog = () => page.getByRole("dialog");

async function tryDeposit(amount: string) {
  await page.getByLabel("Add to deposit").fill(amount);
  await page.getByRole("button", { name: "Deposit", exact: true }).click();
  await dialog()
    .getByRole("button", { name: /Open wallet/ })
    .click();
}

test("a wallet on the wrong chain is told so, can switch, and sends nothing meanwhile", async () => {
  await page.getByTestId("wrong-chain").waitFor();
  await expect(page.getByTestId("wrong-chain").textContent()).resolves.toContain(
    "Your wallet is on chain 1; TeeTee here runs on Local Hardhat (chain 31337)",
  );
  await screenshots(page, "error-wrong-chain");
  await tryDeposit("5");
  await dialog().getByRole("alert").getByText("Wrong network").waitFor();
  await dialog().getByRole("button", { name: "Close" }).click();
  await page.getByRole("button", { name: "Switch to Local Hardhat" }).click();
  await page.getByTestId("wrong-chain").waitFor({ state: "detached" });
  expect(wallet.chainId).toBe(31337);
});

test("a rejected signature says nothing was signed or sent", async () => {
  wallet.rejectNext("eth_signTypedData_v4");
  await tryDeposit("5");
  await dialog().getByText("Request rejected in your wallet").waitFor();
  await expect(dialog().getByRole("alert").textContent()).resolves.toContain("Nothing was signed or sent");
  await screenshots(page, "error-rejected-signature");
  await dialog().getByRole("button", { name: "Close" }).click();
  const account = await getEscrowAccount(h.market.publicClient, {
    contracts: h.market.deployment,
    buyer: person.address,
  });
  expect(account.balance).toBe(0n);
});

test("a deposit larger than the wallet's balance is stopped before the wallet opens", async () => {
  await tryDeposit("500");
  await dialog().getByText("Insufficient balance").waitFor();
  await expect(dialog().getByRole("alert").textContent()).resolves.toContain(
    "Your wallet holds 20.00 tUSD; this deposit needs 500.00 tUSD.",
  );
  await dialog().getByRole("button", { name: "Close" }).click();
});

test("a contract's custom error is decoded into words", async () => {
  await page.goto(`${h.web.url}#/host`);
  await page.getByLabel("Unbond free stake").fill("1000");
  await page.getByRole("button", { name: "Start unbonding" }).click();
  await dialog()
    .getByRole("button", { name: /Open wallet/ })
    .click();
  await dialog().getByText("The contract refused this").waitFor({ timeout: 60_000 });
  const alert = await dialog().getByRole("alert").textContent();
  expect(alert).toContain("This needs 1,000.00 tUSD of free stake, but you have 0.00 tUSD free");
  expect(alert).toContain("StakingInsufficientFreeStake");
  await screenshots(page, "error-contract");
});
