import { paymentEscrowAbi } from "@teetee/contracts/abi";
import type { Address, Hex } from "viem";
import { blockTimes } from "../../chain/blockTimes.js";
import { formatDate, formatToken, shortHex } from "../../chain/format.js";
import { useChainRead } from "../../chain/useChainRead.js";
import { Card, Empty, ErrorNote } from "../../components/ui.js";
import { useWallet } from "../../wallet/WalletContext.js";

type Entry = {
  key: string;
  time: number;
  kind: "Paid for requests" | "Deposit" | "Withdrawal";
  detail: string;
  amount: bigint;
  sign: 1 | -1;
};

function useHistory(buyer: Address) {
  const { publicClient, config } = useWallet();
  return useChainRead(async (): Promise<Entry[]> => {
    const common = {
      address: config.contracts.paymentEscrow,
      abi: paymentEscrowAbi,
      fromBlock: config.startBlock,
    };
    const [redeemed, deposited, withdrawn] = await Promise.all([
      publicClient.getContractEvents({ ...common, eventName: "VoucherRedeemed", args: { buyer } }),
      publicClient.getContractEvents({ ...common, eventName: "Deposited", args: { buyer } }),
      publicClient.getContractEvents({ ...common, eventName: "Withdrawn", args: { buyer } }),
    ]);
    const times = await blockTimes(
      publicClient,
      [...redeemed, ...deposited, ...withdrawn].map((e) => e.blockNumber),
    );
    const at = (block: bigint) => times.get(block) ?? 0;
    const entries: Entry[] = [
      ...redeemed.map((e) => ({
        key: `${e.transactionHash}-${e.logIndex}`,
        time: at(e.blockNumber),
        kind: "Paid for requests" as const,
        detail: `model ${shortHex(e.args.modelId as Hex, 8, 4)} · session ${shortHex(e.args.sessionId as Hex, 8, 4)} · key ${shortHex(e.args.signer ?? "", 6, 4)}`,
        amount: e.args.paid ?? 0n,
        sign: -1 as const,
      })),
      ...deposited.map((e) => ({
        key: `${e.transactionHash}-${e.logIndex}`,
        time: at(e.blockNumber),
        kind: "Deposit" as const,
        detail: e.args.from === buyer ? "from your wallet" : `from ${shortHex(e.args.from ?? "", 6, 4)}`,
        amount: e.args.amount ?? 0n,
        sign: 1 as const,
      })),
      ...withdrawn.map((e) => ({
        key: `${e.transactionHash}-${e.logIndex}`,
        time: at(e.blockNumber),
        kind: "Withdrawal" as const,
        detail: "to your wallet",
        amount: e.args.amount ?? 0n,
        sign: -1 as const,
      })),
    ];
    return entries.sort((a, b) => b.time - a.time);
  }, [buyer, publicClient]);
}

/** Deposits, withdrawals and redeemed vouchers of this buyer, from the escrow's events. */
export function SpendingHistory({ buyer }: { buyer: Address }) {
  const { token } = useWallet();
  const history = useHistory(buyer);
  const spent = (history.data ?? [])
    .filter((e) => e.kind === "Paid for requests")
    .reduce((s, e) => s + e.amount, 0n);
  return (
    <Card
      title="Activity"
      subtitle={
        history.data ? `Spent on requests so far: ${formatToken(spent, token)}` : "Read from the chain"
      }
      testId="history"
    >
      <ErrorNote message={history.error} />
      {history.data?.length === 0 && (
        <Empty>No activity yet. Deposits and paid requests will appear here.</Empty>
      )}
      {history.data && history.data.length > 0 && (
        <div className="table-wrap">
          <table className="table">
            <thead>
              <tr>
                <th>When</th>
                <th>What</th>
                <th className="num">Amount</th>
              </tr>
            </thead>
            <tbody>
              {history.data.slice(0, 50).map((e) => (
                <tr key={e.key}>
                  <td data-label="When" className="nowrap">
                    {formatDate(e.time)}
                  </td>
                  <td data-label="What">
                    <strong>{e.kind}</strong>
                    <div className="muted small mono-soft">{e.detail}</div>
                  </td>
                  <td data-label="Amount" className={`num nowrap ${e.sign > 0 ? "pos" : ""}`}>
                    {e.sign > 0 ? "+" : "−"}
                    {formatToken(e.amount, token)}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Card>
  );
}
