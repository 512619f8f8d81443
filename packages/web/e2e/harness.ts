import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type LocalChain, startLocalChain } from "@teetee/devnet";
import { createPaymentMarket, type PaymentMarket, type PaymentMarketOptions } from "@teetee/devnet/market";
import { type Browser, chromium, type Page } from "playwright-core";
import type { LocalAccount } from "viem";
import { type ServedWeb, serveWeb } from "../src/server/serveWeb.js";
import { TestWallet } from "./wallet.js";

export const screenshotDir = fileURLToPath(new URL("./screenshots/", import.meta.url));

export type Harness = {
  chain: LocalChain;
  market: PaymentMarket;
  web: ServedWeb;
  browser: Browser;
  open: (
    account: LocalAccount,
    options?: { chainId?: number; width?: number },
  ) => Promise<{ page: Page; wallet: TestWallet }>;
  stop: () => Promise<void>;
};

/** A local chain with a funded market, the built app served against it, and headless Debian Chromium. */
export async function startHarness(
  options: PaymentMarketOptions & { gatewayUrl?: string } = {},
): Promise<Harness> {
  const chain = await startLocalChain();
  let market: PaymentMarket;
  let web: ServedWeb;
  let browser: Browser;
  try {
    market = await createPaymentMarket(chain, options);
    web = await serveWeb({
      rpcUrl: chain.rpcUrl,
      deployment: market.deployment,
      ...(options.gatewayUrl ? { gatewayUrl: options.gatewayUrl } : {}),
    });
    browser = await launchChromium();
  } catch (error) {
    await chain.stop();
    throw error;
  }
  const open: Harness["open"] = async (account, o = {}) => {
    const context = await browser.newContext({ viewport: { width: o.width ?? 1280, height: 900 } });
    const page = await context.newPage();
    const wallet = new TestWallet(account, market.chain, chain.rpcUrl);
    if (o.chainId !== undefined) wallet.chainId = o.chainId;
    await wallet.attach(page);
    page.on("pageerror", (error) => console.error(`page error: ${error.message}`));
    return { page, wallet };
  };
  return {
    chain,
    market,
    web,
    browser,
    open,
    stop: async () => {
      await browser.close();
      await web.close();
      await chain.stop();
    },
  };
}

/**
 * Debian's Chromium, headless, with the flags that keep it off the network. Playwright gives every launch a
 * fresh temporary profile (it refuses an explicit --user-data-dir on `launch`).
 */
async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

/** Saves the page at 1280 and 390 px wide (full height) as `<name>-1280.png` and `<name>-390.png`. */
export async function screenshots(page: Page, name: string): Promise<void> {
  mkdirSync(screenshotDir, { recursive: true });
  const original = page.viewportSize() ?? { width: 1280, height: 900 };
  for (const width of [1280, 390]) {
    await page.setViewportSize({ width, height: width === 390 ? 844 : 900 });
    await page.waitForTimeout(150);
    // A modal covers the viewport only: capture what the person sees, not the page scrolled behind it.
    const modal = (await page.getByRole("dialog").count()) > 0;
    await page.screenshot({ path: join(screenshotDir, `${name}-${width}.png`), fullPage: !modal });
  }
  await page.setViewportSize(original);
}

/** Moves the chain's clock forward (thaw and unbonding periods) and mines a block. */
export async function advanceTime(rpcUrl: string, seconds: number): Promise<void> {
  for (const [method, params] of [
    ["evm_increaseTime", [seconds]],
    ["evm_mine", []],
  ] as const) {
    await fetch(rpcUrl, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
    });
  }
}
