import { type DependencyList, useEffect, useState } from "react";
import { describeError } from "../wallet/describeError.js";
import { useWallet } from "../wallet/WalletContext.js";

export type ChainRead<T> = { data: T | undefined; error: string | undefined; loading: boolean };

/**
 * Reads from the chain when its inputs change, after every confirmed transaction (`revision`) and every
 * `pollMs`, keeping the last value on screen while the next read runs.
 */
export function useChainRead<T>(read: () => Promise<T>, deps: DependencyList, pollMs = 6000): ChainRead<T> {
  const { revision } = useWallet();
  const [state, setState] = useState<ChainRead<T>>({ data: undefined, error: undefined, loading: true });
  // biome-ignore lint/correctness/useExhaustiveDependencies: the caller lists what `read` depends on
  useEffect(() => {
    let live = true;
    const run = () =>
      read().then(
        (data) => live && setState({ data, error: undefined, loading: false }),
        (error: unknown) =>
          live && setState((s) => ({ data: s.data, error: describeError(error).message, loading: false })),
      );
    run();
    const timer = window.setInterval(run, pollMs);
    return () => {
      live = false;
      window.clearInterval(timer);
    };
  }, [...deps, revision]);
  return state;
}

/** Seconds since epoch on the chain's clock (local chains can run ahead of the wall clock), ticking. */
export function useChainNow(): number {
  const { publicClient, revision } = useWallet();
  const [offset, setOffset] = useState(0);
  const [now, setNow] = useState(() => Math.floor(Date.now() / 1000));
  // biome-ignore lint/correctness/useExhaustiveDependencies: re-read the block after each transaction
  useEffect(() => {
    publicClient.getBlock().then(
      (block) => setOffset(Math.max(0, Number(block.timestamp) - Math.floor(Date.now() / 1000))),
      () => {},
    );
  }, [publicClient, revision]);
  useEffect(() => {
    const timer = window.setInterval(() => setNow(Math.floor(Date.now() / 1000)), 1000);
    return () => window.clearInterval(timer);
  }, []);
  return now + offset;
}
