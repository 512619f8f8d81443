import { type Chain, defineChain } from "viem";

export type DefineChainAtParameters = {
  /** The chain id, as `eth_chainId` answers it. */
  id: number;
  /** The JSON-RPC endpoint clients of this chain use. */
  rpcUrl: string;
  /** How wallets and messages name it; default `chain <id>`. */
  name?: string;
};

export type DefineChainAtReturnType = Chain;

/**
 * The viem chain for a chain known only by its id and RPC URL (a local node, a testnet a deployment file names):
 * ether as the native currency, the one RPC URL as its default. Every TeeTee service, the CLI and the web app
 * define their chain with this.
 * @example
 * const chain = defineChainAt({ id: await publicClient.getChainId(), rpcUrl });
 * const walletClient = createWalletClient({ account, chain, transport: http(rpcUrl) });
 */
export function defineChainAt({
  id,
  rpcUrl,
  name = `chain ${id}`,
}: DefineChainAtParameters): DefineChainAtReturnType {
  return defineChain({
    id,
    name,
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [rpcUrl] } },
  });
}
