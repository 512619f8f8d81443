import { getEscrowAccount } from "@teetee/sdk/contracts";
import { useChainRead } from "../../chain/useChainRead.js";
import { useTokenBalance } from "../../chain/useTokenBalance.js";
import { ConnectPrompt } from "../../components/WalletBar.js";
import { useWallet } from "../../wallet/WalletContext.js";
import { ApiKeysCard } from "./ApiKeysCard.js";
import { FundsCard } from "./FundsCard.js";
import { RoutesCard } from "./RoutesCard.js";
import { SpendingHistory } from "./SpendingHistory.js";

/** For API buyers: the deposit, API keys and what was spent. */
export function BuyerScreen() {
  const { account, publicClient, config } = useWallet();
  const balance = useTokenBalance(account);
  const escrow = useChainRead(
    async () =>
      account ? getEscrowAccount(publicClient, { contracts: config.contracts, buyer: account }) : undefined,
    [account, publicClient],
  );
  if (account === undefined) return <ConnectPrompt what="deposit funds and create API keys" />;
  return (
    <div className="screen">
      <div className="screen-head">
        <h1>Use models</h1>
        <p className="muted">
          Deposit once, then call any TeeTee model from an OpenAI client with an API key. You pay per token,
          only for what you use.
        </p>
      </div>
      <div className="grid-2">
        <FundsCard account={escrow.data} walletBalance={balance.data} />
        <ApiKeysCard buyer={account} />
      </div>
      <RoutesCard buyer={account} account={escrow.data} />
      <SpendingHistory buyer={account} />
    </div>
  );
}
