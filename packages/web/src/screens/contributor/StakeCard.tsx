import {
  approveToken,
  getTokenAllowance,
  requestUnstake,
  type StakeInfo,
  stake,
  withdrawStake,
} from "@teetee/sdk/contracts";
import { useState } from "react";
import { confirm } from "../../chain/confirm.js";
import { formatDate, formatToken, parseTokenInput } from "../../chain/format.js";
import { useChainNow } from "../../chain/useChainRead.js";
import { useAction } from "../../components/ActionDialog.js";
import { AmountField, Card, Countdown, Stat } from "../../components/ui.js";
import { InsufficientBalanceError } from "../../wallet/describeError.js";
import { useWallet } from "../../wallet/WalletContext.js";

function Unbonding({ info }: { info: StakeInfo }) {
  const { token, config, publicClient, walletClient } = useWallet();
  const run = useAction();
  const now = useChainNow();
  if (info.unbonding === 0n || walletClient === undefined) return null;
  const end = Number(info.unbondingEnd);
  const ready = now >= end;
  const withdraw = () =>
    run({
      title: `Withdraw ${formatToken(info.unbonding, token)} of stake`,
      summary: "The unbonding period has passed: this sends the unbonded stake back to your wallet.",
      facts: [{ label: "Amount", value: formatToken(info.unbonding, token) }],
      steps: [
        {
          kind: "transaction",
          title: "Withdraw stake",
          detail: "One transaction; you pay the network fee in ETH.",
        },
      ],
      execute: async (advance) => {
        advance(0);
        await confirm(publicClient, withdrawStake(walletClient, { contracts: config.contracts }));
      },
      success: "Your stake is back in your wallet.",
    });
  return (
    <div className="thaw" data-testid="unbonding-status">
      <div>
        <strong>{formatToken(info.unbonding, token)} unbonding</strong> · <Countdown end={end} now={now} />
        <p className="muted">
          Ends {formatDate(end)}. Unbonding stake can still be slashed for misbehaviour until then.
        </p>
      </div>
      <button type="button" className="btn btn-primary" disabled={!ready} onClick={withdraw}>
        Withdraw stake
      </button>
    </div>
  );
}

/** Staking: what is staked, locked behind runners, free and unbonding; stake more and unbond. */
export function StakeCard({
  info,
  walletBalance,
}: {
  info: StakeInfo | undefined;
  walletBalance: bigint | undefined;
}) {
  const { token, config, publicClient, walletClient, account } = useWallet();
  const run = useAction();
  const [stakeText, setStakeText] = useState("");
  const [unbondText, setUnbondText] = useState("");
  const stakeAmount = parseTokenInput(stakeText, token.decimals);
  const unbondAmount = parseTokenInput(unbondText, token.decimals);
  const free = info === undefined ? undefined : info.staked - info.locked;

  const addStake = () => {
    if (walletClient === undefined || stakeAmount === undefined || walletBalance === undefined || !account)
      return;
    run({
      title: `Stake ${formatToken(stakeAmount, token)}`,
      summary:
        "Stake backs the runners you operate: each runner locks its model's minimum stake while active. Stake can be " +
        "slashed if a runner misbehaves, and unbonded when it is free.",
      facts: [
        { label: "Amount", value: formatToken(stakeAmount, token) },
        { label: "From", value: `Your wallet (holds ${formatToken(walletBalance, token)})` },
        { label: "To", value: `Staking ${config.contracts.staking}` },
      ],
      steps: [
        {
          kind: "transaction",
          title: `Allow the staking contract to take ${formatToken(stakeAmount, token)}`,
          detail: "An ERC-20 approval for exactly this amount (skipped if already approved).",
        },
        {
          kind: "transaction",
          title: "Stake",
          detail: "Moves the tokens into your stake; you pay the network fee in ETH.",
        },
      ],
      execute: async (advance) => {
        if (stakeAmount > walletBalance) {
          throw new InsufficientBalanceError(
            `Your wallet holds ${formatToken(walletBalance, token)}; staking needs ${formatToken(stakeAmount, token)}.`,
          );
        }
        advance(0);
        const allowance = await getTokenAllowance(publicClient, {
          contracts: config.contracts,
          owner: account,
          spender: config.contracts.staking,
        });
        if (allowance < stakeAmount) {
          await confirm(
            publicClient,
            approveToken(walletClient, {
              contracts: config.contracts,
              spender: config.contracts.staking,
              amount: stakeAmount,
            }),
          );
        }
        advance(1);
        await confirm(
          publicClient,
          stake(walletClient, { contracts: config.contracts, amount: stakeAmount }),
        );
      },
      success: `${formatToken(stakeAmount, token)} is staked.`,
    });
  };

  const unbond = () => {
    if (walletClient === undefined || unbondAmount === undefined) return;
    run({
      title: `Unbond ${formatToken(unbondAmount, token)}`,
      summary:
        "Starts the unbonding period for free stake (stake not locked behind a runner). Adding to a running unbonding " +
        "restarts its period. When it ends you withdraw the stake to your wallet.",
      facts: [
        { label: "Amount", value: formatToken(unbondAmount, token) },
        { label: "Free stake", value: free === undefined ? "…" : formatToken(free, token) },
      ],
      steps: [
        {
          kind: "transaction",
          title: "Request unbonding",
          detail: "One transaction; you pay the network fee in ETH.",
        },
      ],
      execute: async (advance) => {
        advance(0);
        await confirm(
          publicClient,
          requestUnstake(walletClient, { contracts: config.contracts, amount: unbondAmount }),
        );
      },
      success: "Unbonding has started.",
    });
  };

  return (
    <Card title="Stake" subtitle="Backs your runners; locked while they serve" testId="stake">
      <div className="stats">
        <Stat
          label="Staked"
          value={info ? formatToken(info.staked, token) : "…"}
          testId="staked"
          tone="accent"
        />
        <Stat
          label="Locked by runners"
          value={info ? formatToken(info.locked, token) : "…"}
          testId="locked"
        />
        <Stat label="Free" value={free === undefined ? "…" : formatToken(free, token)} />
      </div>
      {info && <Unbonding info={info} />}
      <div className="form-row">
        <AmountField
          id="stake-amount"
          label="Add stake"
          value={stakeText}
          onChange={setStakeText}
          symbol={token.symbol}
        />
        <button
          type="button"
          className="btn btn-primary"
          disabled={stakeAmount === undefined || !walletClient || walletBalance === undefined}
          onClick={addStake}
        >
          Stake
        </button>
      </div>
      <div className="form-row">
        <AmountField
          id="unbond-amount"
          label="Unbond free stake"
          value={unbondText}
          onChange={setUnbondText}
          symbol={token.symbol}
        />
        <button
          type="button"
          className="btn"
          disabled={unbondAmount === undefined || !walletClient}
          onClick={unbond}
        >
          Start unbonding
        </button>
      </div>
    </Card>
  );
}
