import {
  cancelWithdrawal,
  depositWithPermit,
  type EscrowAccount,
  requestWithdrawal,
  signPermit,
  withdraw,
} from "@teetee/sdk/contracts";
import { useState } from "react";
import { confirm } from "../../chain/confirm.js";
import { formatAmount, formatDate, formatToken, parseTokenInput } from "../../chain/format.js";
import { useChainNow } from "../../chain/useChainRead.js";
import { type ActionPlan, useAction } from "../../components/ActionDialog.js";
import { AmountField, Card, Countdown, Stat } from "../../components/ui.js";
import { InsufficientBalanceError } from "../../wallet/describeError.js";
import { type ConnectedWallet, useWallet } from "../../wallet/WalletContext.js";

type Props = { account: EscrowAccount | undefined; walletBalance: bigint | undefined };

function useDepositPlan() {
  const { config, token, publicClient } = useWallet();
  return (client: ConnectedWallet, amount: bigint, walletBalance: bigint): ActionPlan => ({
    title: `Deposit ${formatToken(amount, token)}`,
    summary:
      "Moves tokens from your wallet into your TeeTee deposit, which pays for requests made with your API keys. " +
      "You can withdraw what you have not spent at any time (after a short thaw).",
    facts: [
      { label: "Amount", value: formatToken(amount, token) },
      { label: "From", value: `Your wallet (holds ${formatToken(walletBalance, token)})` },
      { label: "To", value: `PaymentEscrow ${config.contracts.paymentEscrow}` },
    ],
    steps: [
      {
        kind: "signature",
        title: `Sign a permit for ${formatToken(amount, token)}`,
        detail:
          "An EIP-2612 typed-data signature letting the escrow contract take exactly this amount, valid for one hour. No gas.",
      },
      {
        kind: "transaction",
        title: "Send the deposit",
        detail:
          "One transaction that uses the permit and credits your deposit. You pay the network fee in ETH.",
      },
    ],
    execute: async (advance) => {
      if (amount > walletBalance) {
        throw new InsufficientBalanceError(
          `Your wallet holds ${formatToken(walletBalance, token)}; this deposit needs ${formatToken(amount, token)}.`,
        );
      }
      advance(0);
      const permit = await signPermit(client, {
        contracts: config.contracts,
        spender: config.contracts.paymentEscrow,
        value: amount,
        deadline: BigInt(Math.floor(Date.now() / 1000) + 3600),
      });
      advance(1);
      await confirm(
        publicClient,
        depositWithPermit(client, {
          contracts: config.contracts,
          buyer: client.account.address,
          amount,
          permit,
        }),
      );
    },
    success: `${formatToken(amount, token)} is now in your deposit.`,
  });
}

function ThawStatus({ account }: { account: EscrowAccount }) {
  const { token, config, publicClient, walletClient } = useWallet();
  const run = useAction();
  const now = useChainNow();
  if (account.thawing === 0n || walletClient === undefined) return null;
  const end = Number(account.thawEnd);
  const ready = now >= end;
  const finish = () =>
    run({
      title: ready ? `Withdraw ${formatToken(account.thawing, token)}` : "Cancel the withdrawal",
      summary: ready
        ? "Sends the thawed amount back to your wallet (less anything runners redeemed for requests during the thaw)."
        : "Stops the withdrawal: the amount stays in your deposit and is available to your API keys again.",
      facts: [{ label: "Amount", value: formatToken(account.thawing, token) }],
      steps: [
        {
          kind: "transaction",
          title: ready ? "Withdraw to your wallet" : "Cancel the withdrawal",
          detail: "One transaction; you pay the network fee in ETH.",
        },
      ],
      execute: async (advance) => {
        advance(0);
        await confirm(
          publicClient,
          ready
            ? withdraw(walletClient, { contracts: config.contracts })
            : cancelWithdrawal(walletClient, { contracts: config.contracts }),
        );
      },
      success: ready ? "The tokens are back in your wallet." : "The withdrawal is cancelled.",
    });
  return (
    <div className="thaw" data-testid="thaw-status">
      <div>
        <strong>{formatToken(account.thawing, token)} withdrawing</strong> · <Countdown end={end} now={now} />
        <p className="muted">
          Thaw ends {formatDate(end)}. Until then, runners can still be paid for requests already served.
        </p>
      </div>
      <button type="button" className={`btn ${ready ? "btn-primary" : "btn-ghost"}`} onClick={finish}>
        {ready ? "Withdraw now" : "Cancel withdrawal"}
      </button>
    </div>
  );
}

/** The deposit: its balance, topping it up with a permit, and the thawed withdrawal. */
export function FundsCard({ account, walletBalance }: Props) {
  const { token, config, publicClient, walletClient } = useWallet();
  const run = useAction();
  const depositPlan = useDepositPlan();
  const [depositText, setDepositText] = useState("");
  const [withdrawText, setWithdrawText] = useState("");
  const depositAmount = parseTokenInput(depositText, token.decimals);
  const withdrawAmount = parseTokenInput(withdrawText, token.decimals);
  const available = account === undefined ? undefined : account.balance - account.thawing;

  const startWithdrawal = () => {
    if (walletClient === undefined || withdrawAmount === undefined || available === undefined) return;
    run({
      title: `Withdraw ${formatToken(withdrawAmount, token)}`,
      summary:
        "Starts the thaw; when it ends you send the amount to your wallet. During the thaw runners can still redeem " +
        "vouchers for requests your keys already made, so nobody who served you goes unpaid.",
      facts: [
        { label: "Amount", value: formatToken(withdrawAmount, token) },
        { label: "Available now", value: formatToken(available, token) },
      ],
      steps: [
        {
          kind: "transaction",
          title: "Request the withdrawal",
          detail: "One transaction that starts the thaw; you pay the network fee in ETH.",
        },
      ],
      execute: async (advance) => {
        if (withdrawAmount > available) {
          throw new InsufficientBalanceError(
            `Your deposit has ${formatToken(available, token)} available; you asked for ${formatToken(withdrawAmount, token)}.`,
          );
        }
        advance(0);
        await confirm(
          publicClient,
          requestWithdrawal(walletClient, { contracts: config.contracts, amount: withdrawAmount }),
        );
      },
      success: "The thaw has started. Come back when it ends to send the tokens to your wallet.",
    });
  };

  const deposit = () => {
    if (walletClient && depositAmount !== undefined && walletBalance !== undefined) {
      run(depositPlan(walletClient, depositAmount, walletBalance));
    }
  };

  return (
    <Card title="Deposit" subtitle="Pays for the requests your API keys make" testId="funds">
      <div className="stats">
        <Stat
          label="In your deposit"
          value={account === undefined ? "…" : formatToken(account.balance, token)}
          testId="escrow-balance"
          tone="accent"
        />
        <Stat
          label="Available to API keys"
          value={available === undefined ? "…" : formatToken(available, token)}
          testId="escrow-available"
        />
        <Stat
          label="In your wallet"
          value={walletBalance === undefined ? "…" : formatToken(walletBalance, token)}
        />
      </div>
      {account && <ThawStatus account={account} />}
      <div className="form-row">
        <AmountField
          id="deposit-amount"
          label="Add to deposit"
          value={depositText}
          onChange={setDepositText}
          symbol={token.symbol}
          hint="One signature and one transaction (EIP-2612 permit), no separate approval."
          {...(walletBalance
            ? { onMax: () => setDepositText(formatAmount(walletBalance, token.decimals).replace(/,/g, "")) }
            : {})}
        />
        <button
          type="button"
          className="btn btn-primary"
          disabled={depositAmount === undefined || walletClient === undefined || walletBalance === undefined}
          onClick={deposit}
        >
          Deposit
        </button>
      </div>
      <div className="form-row">
        <AmountField
          id="withdraw-amount"
          label="Withdraw from deposit"
          value={withdrawText}
          onChange={setWithdrawText}
          symbol={token.symbol}
          hint="Starts a thaw; you complete the withdrawal when it ends."
        />
        <button
          type="button"
          className="btn"
          disabled={withdrawAmount === undefined || walletClient === undefined || available === undefined}
          onClick={startWithdrawal}
        >
          Start withdrawal
        </button>
      </div>
    </Card>
  );
}
