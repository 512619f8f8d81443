import {
  type Account,
  type Chain,
  createPublicClient,
  createWalletClient,
  type Hash,
  http,
  type PublicClient,
  type Transport,
  type WalletClient,
} from "viem";
import { hardhat } from "viem/chains";

/** One account of the local network with the gas it has spent, so the demo can report gas per role. */
export interface Actor {
  name: string;
  account: Account;
  walletClient: WalletClient<Transport, Chain, Account>;
  publicClient: PublicClient;
  gasUsed: bigint;
  transactions: { label: string; hash: Hash; gasUsed: bigint }[];
  send: (label: string, write: () => Promise<Hash>) => Promise<void>;
}

export function createActor(name: string, account: Account, rpcUrl: string): Actor {
  const chain = { ...hardhat, rpcUrls: { default: { http: [rpcUrl] } } };
  const publicClient = createPublicClient({ chain, transport: http(rpcUrl) }) as PublicClient;
  const walletClient = createWalletClient({ chain, account, transport: http(rpcUrl) });
  const actor: Actor = {
    name,
    account,
    walletClient,
    publicClient,
    gasUsed: 0n,
    transactions: [],
    send: async (label, write) => {
      const hash = await write();
      const receipt = await publicClient.waitForTransactionReceipt({ hash });
      if (receipt.status !== "success") throw new Error(`${name}: ${label} reverted (${hash})`);
      actor.gasUsed += receipt.gasUsed;
      actor.transactions.push({ label, hash, gasUsed: receipt.gasUsed });
    },
  };
  return actor;
}
