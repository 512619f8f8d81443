import { paymentEscrowAbi } from "@teetee/contracts/abi";
import { getEarnings, withdrawEarnings } from "@teetee/sdk/contracts";
import type { Address } from "viem";
import { blockTimes } from "../../chain/blockTimes.js";
import { confirm } from "../../chain/confirm.js";
import { formatToken } from "../../chain/format.js";
import { useChainNow, useChainRead } from "../../chain/useChainRead.js";
import { useAction } from "../../components/ActionDialog.js";
import { LineChart, type Point } from "../../components/LineChart.js";
import { Card, Empty, ErrorNote, Stat } from "../../components/ui.js";
import { useWallet } from "../../wallet/WalletContext.js";

function useEarnings(contributor: Address) {
  const { publicClient, config } = useWallet();
  return useChainRead(async () => {
    const common = {
      address: config.contracts.paymentEscrow,
      abi: paymentEscrowAbi,
      fromBlock: config.startBlock,
    };
    const [credited, withdrawn, unwithdrawn] = await Promise.all([
      publicClient.getContractEvents({ ...common, eventName: "EarningsCredited", args: { contributor } }),
      publicClient.getContractEvents({ ...common, eventName: "EarningsWithdrawn", args: { contributor } }),
      getEarnings(publicClient, { contracts: config.contracts, contributor }),
    ]);
    const times = await blockTimes(
      publicClient,
      credited.map((e) => e.blockNumber),
    );
    let total = 0n;
    const points: Point[] = credited.map((e) => {
      total += e.args.amount ?? 0n;
      return { time: times.get(e.blockNumber) ?? 0, value: total };
    });
    const paidOut = withdrawn.reduce((s, e) => s + (e.args.amount ?? 0n), 0n);
    return { points, total, paidOut, unwithdrawn, payments: credited.length };
  }, [contributor, publicClient]);
}

/** Earnings credited by redeemed vouchers over time, and withdrawing them. */
export function EarningsCard({ contributor }: { contributor: Address }) {
  const { token, config, publicClient, walletClient } = useWallet();
  const run = useAction();
  const now = useChainNow();
  const earnings = useEarnings(contributor);
  const data = earnings.data;
  const withdraw = () => {
    if (walletClient === undefined || data === undefined) return;
    run({
      title: `Withdraw ${formatToken(data.unwithdrawn, token)} of earnings`,
      summary: "Sends everything your runners have earned so far to your wallet.",
      facts: [{ label: "Amount", value: formatToken(data.unwithdrawn, token) }],
      steps: [
        {
          kind: "transaction",
          title: "Withdraw earnings",
          detail: "One transaction; you pay the network fee in ETH.",
        },
      ],
      execute: async (advance) => {
        advance(0);
        await confirm(publicClient, withdrawEarnings(walletClient, { contracts: config.contracts }));
      },
      success: "Your earnings are in your wallet.",
    });
  };
  return (
    <Card
      title="Earnings"
      subtitle="Your share of every paid request your runners served"
      testId="earnings"
      actions={
        <button
          type="button"
          className="btn btn-primary"
          disabled={!walletClient || data === undefined || data.unwithdrawn === 0n}
          onClick={withdraw}
        >
          Withdraw earnings
        </button>
      }
    >
      <div className="stats">
        <Stat
          label="Ready to withdraw"
          value={data ? formatToken(data.unwithdrawn, token) : "…"}
          testId="earnings-unwithdrawn"
          tone="accent"
        />
        <Stat
          label="Earned in total"
          value={data ? formatToken(data.total, token) : "…"}
          testId="earnings-total"
        />
        <Stat label="Withdrawn" value={data ? formatToken(data.paidOut, token) : "…"} />
      </div>
      <ErrorNote message={earnings.error} />
      {data && data.points.length === 0 && (
        <Empty>
          No earnings yet. They appear when a runner redeems a buyer's voucher for requests it served.
        </Empty>
      )}
      {data && data.points.length > 0 && (
        <LineChart
          points={data.points}
          decimals={token.decimals}
          unit={`${token.symbol}, cumulative`}
          now={now}
        />
      )}
    </Card>
  );
}
