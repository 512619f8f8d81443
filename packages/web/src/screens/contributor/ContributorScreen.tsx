import { getStake } from "@teetee/sdk/contracts";
import { useChainRead } from "../../chain/useChainRead.js";
import { useTokenBalance } from "../../chain/useTokenBalance.js";
import { ConnectPrompt } from "../../components/WalletBar.js";
import { useWallet } from "../../wallet/WalletContext.js";
import { EarningsCard } from "./EarningsCard.js";
import { RunnersCard } from "./RunnersCard.js";
import { StakeCard } from "./StakeCard.js";

/** For contributors: stake, runners, earnings. */
export function ContributorScreen() {
  const { account, publicClient, config } = useWallet();
  const balance = useTokenBalance(account);
  const info = useChainRead(
    async () =>
      account ? getStake(publicClient, { contracts: config.contracts, staker: account }) : undefined,
    [account, publicClient],
  );
  if (account === undefined) return <ConnectPrompt what="stake, run shards and earn" />;
  return (
    <div className="screen">
      <div className="screen-head">
        <h1>Host a shard</h1>
        <p className="muted">
          Stake, run one shard of a model in a TEE, and earn your shard's share of every request it serves.
        </p>
      </div>
      <div className="grid-2">
        <StakeCard info={info.data} walletBalance={balance.data} />
        <EarningsCard contributor={account} />
      </div>
      <RunnersCard contributor={account} />
    </div>
  );
}
