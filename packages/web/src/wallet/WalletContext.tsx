import { describe } from "@teetee/errors";
import { createContext, type ReactNode, useCallback, useContext, useEffect, useMemo, useState } from "react";
import {
  type Account,
  type Address,
  type Chain,
  createPublicClient,
  createWalletClient,
  custom,
  getAddress,
  http,
  type PublicClient,
  type Transport,
  type WalletClient,
} from "viem";
import type { TokenInfo } from "../chain/format.js";
import { type AppConfig, chainOf } from "../config/appConfig.js";
import { type Eip1193Provider, injectedProvider } from "./eip1193.js";

export type ConnectedWallet = WalletClient<Transport, Chain, Account>;

export type Wallet = {
  config: AppConfig;
  chain: Chain;
  publicClient: PublicClient;
  token: TokenInfo;
  provider: Eip1193Provider | undefined;
  account: Address | undefined;
  walletChainId: number | undefined;
  /** Connected and on the expected chain: transactions can be sent. */
  ready: boolean;
  walletClient: ConnectedWallet | undefined;
  connect: () => Promise<void>;
  switchChain: () => Promise<void>;
  connectError: string | undefined;
  /** Bumped after every confirmed transaction so screens read the chain again. */
  revision: number;
  refresh: () => void;
};

const WalletContext = createContext<Wallet | undefined>(undefined);

export function useWallet(): Wallet {
  const wallet = useContext(WalletContext);
  if (wallet === undefined) throw new Error("useWallet outside WalletProvider");
  return wallet;
}

function toChainId(value: unknown): number | undefined {
  if (typeof value === "string") return Number.parseInt(value, value.startsWith("0x") ? 16 : 10);
  return typeof value === "number" ? value : undefined;
}

function firstAccount(value: unknown): Address | undefined {
  return Array.isArray(value) && typeof value[0] === "string" ? getAddress(value[0]) : undefined;
}

function useProviderState(provider: Eip1193Provider | undefined) {
  const [account, setAccount] = useState<Address>();
  const [walletChainId, setWalletChainId] = useState<number>();
  useEffect(() => {
    if (provider === undefined) return;
    const onAccounts = (accounts: unknown) => setAccount(firstAccount(accounts));
    const onChain = (id: unknown) => setWalletChainId(toChainId(id));
    provider.request({ method: "eth_accounts" }).then(onAccounts, () => {});
    provider.request({ method: "eth_chainId" }).then(onChain, () => {});
    provider.on?.("accountsChanged", onAccounts as (...args: never[]) => void);
    provider.on?.("chainChanged", onChain as (...args: never[]) => void);
    return () => {
      provider.removeListener?.("accountsChanged", onAccounts as (...args: never[]) => void);
      provider.removeListener?.("chainChanged", onChain as (...args: never[]) => void);
    };
  }, [provider]);
  return { account, setAccount, walletChainId, setWalletChainId };
}

export function WalletProvider({
  config,
  token,
  children,
}: {
  config: AppConfig;
  token: TokenInfo;
  children: ReactNode;
}) {
  const provider = useMemo(injectedProvider, []);
  const chain = useMemo(() => chainOf(config), [config]);
  const publicClient = useMemo(
    () => createPublicClient({ chain, transport: http(config.rpcUrl) }) as PublicClient,
    [chain, config.rpcUrl],
  );
  const { account, setAccount, walletChainId, setWalletChainId } = useProviderState(provider);
  const [connectError, setConnectError] = useState<string>();
  const [revision, setRevision] = useState(0);
  const refresh = useCallback(() => setRevision((r) => r + 1), []);

  const connect = useCallback(async () => {
    if (provider === undefined) return;
    setConnectError(undefined);
    try {
      setAccount(firstAccount(await provider.request({ method: "eth_requestAccounts" })));
      setWalletChainId(toChainId(await provider.request({ method: "eth_chainId" })));
    } catch (error) {
      const rejected =
        typeof error === "object" && error !== null && (error as { code?: unknown }).code === 4001;
      setConnectError(
        rejected
          ? "You declined the connection request in your wallet."
          : `Could not connect: ${describe(error)}`,
      );
    }
  }, [provider, setAccount, setWalletChainId]);

  const switchChain = useCallback(async () => {
    if (provider === undefined) return;
    const chainId = `0x${config.chainId.toString(16)}`;
    setConnectError(undefined);
    try {
      await provider.request({ method: "wallet_switchEthereumChain", params: [{ chainId }] });
    } catch (error) {
      if ((error as { code?: unknown }).code !== 4902) {
        setConnectError("The wallet did not switch networks. Switch to it in your wallet, then try again.");
        return;
      }
      await provider.request({
        method: "wallet_addEthereumChain",
        params: [
          {
            chainId,
            chainName: config.chainName,
            rpcUrls: [config.rpcUrl],
            nativeCurrency: chain.nativeCurrency,
          },
        ],
      });
    }
    setWalletChainId(toChainId(await provider.request({ method: "eth_chainId" })));
  }, [provider, config, chain, setWalletChainId]);

  const ready = account !== undefined && walletChainId === config.chainId;
  const walletClient = useMemo(
    () =>
      provider !== undefined && account !== undefined
        ? createWalletClient({ account, chain, transport: custom(provider) })
        : undefined,
    [provider, account, chain],
  );

  const value: Wallet = {
    config,
    chain,
    publicClient,
    token,
    provider,
    account,
    walletChainId,
    ready,
    walletClient,
    connect,
    switchChain,
    connectError,
    revision,
    refresh,
  };
  return <WalletContext.Provider value={value}>{children}</WalletContext.Provider>;
}
