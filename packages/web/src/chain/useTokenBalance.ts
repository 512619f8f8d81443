import { getTokenBalance } from "@teetee/sdk/contracts";
import type { Address } from "viem";
import { useWallet } from "../wallet/WalletContext.js";
import { useChainRead } from "./useChainRead.js";

/** The payment-token balance of an address in its wallet (not deposited, not staked). */
export function useTokenBalance(owner: Address | undefined) {
  const { publicClient, config } = useWallet();
  return useChainRead(
    async () =>
      owner === undefined ? undefined : getTokenBalance(publicClient, { contracts: config.contracts, owner }),
    [owner, publicClient],
  );
}
