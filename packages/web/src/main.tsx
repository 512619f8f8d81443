import { testTokenAbi } from "@teetee/contracts/abi";
import { describe } from "@teetee/errors";
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { createPublicClient, http } from "viem";
import { App } from "./App.js";
import type { TokenInfo } from "./chain/format.js";
import { type AppConfig, chainOf, loadAppConfig } from "./config/appConfig.js";
import { WalletProvider } from "./wallet/WalletContext.js";
import "./styles.css";

async function readToken(config: AppConfig): Promise<TokenInfo> {
  const client = createPublicClient({ chain: chainOf(config), transport: http(config.rpcUrl) });
  const token = { address: config.contracts.token, abi: testTokenAbi } as const;
  const [symbol, decimals] = await Promise.all([
    client.readContract({ ...token, functionName: "symbol" }),
    client.readContract({ ...token, functionName: "decimals" }),
  ]);
  return { symbol, decimals };
}

async function boot(root: HTMLElement): Promise<void> {
  const reactRoot = createRoot(root);
  try {
    const config = await loadAppConfig();
    const token = await readToken(config);
    reactRoot.render(
      <StrictMode>
        <WalletProvider config={config} token={token}>
          <App />
        </WalletProvider>
      </StrictMode>,
    );
  } catch (error) {
    reactRoot.render(
      <div className="boot-error" role="alert">
        <h1>TeeTee cannot reach its network</h1>
        <p>{describe(error)}</p>
        <p className="muted">
          Check that the chain is running and that config.json names its RPC URL and contracts.
        </p>
      </div>,
    );
  }
}

const root = document.getElementById("root");
if (root) void boot(root);
