import { formatToken, shortAddress } from "../chain/format.js";
import { useTokenBalance } from "../chain/useTokenBalance.js";
import { useWallet } from "../wallet/WalletContext.js";

/** The account, its network and token balance, or the button that connects a wallet. */
export function WalletBar() {
  const wallet = useWallet();
  const balance = useTokenBalance(wallet.account);
  if (wallet.provider === undefined) {
    return <span className="wallet-missing">No wallet found in this browser</span>;
  }
  if (wallet.account === undefined) {
    return (
      <button type="button" className="btn btn-primary" onClick={wallet.connect}>
        Connect wallet
      </button>
    );
  }
  const onChain = wallet.walletChainId === wallet.config.chainId;
  return (
    <div className="wallet-bar">
      <span className={`network ${onChain ? "network-ok" : "network-bad"}`}>
        <span className="dot" aria-hidden="true" />
        {onChain ? wallet.config.chainName : "Wrong network"}
      </span>
      <span className="wallet-account">
        <span className="wallet-balance" data-testid="wallet-balance">
          {balance.data === undefined ? "…" : formatToken(balance.data, wallet.token, 2)}
        </span>
        <span className="mono" title={wallet.account}>
          {shortAddress(wallet.account)}
        </span>
      </span>
    </div>
  );
}

/** Shown under the header while the wallet is on another chain, or a connection failed. */
export function WalletBanner() {
  const wallet = useWallet();
  if (wallet.connectError) {
    return (
      <div className="banner banner-error" role="alert">
        {wallet.connectError}
      </div>
    );
  }
  if (wallet.account === undefined || wallet.walletChainId === undefined) return null;
  if (wallet.walletChainId === wallet.config.chainId) return null;
  return (
    <div className="banner banner-error" role="alert" data-testid="wrong-chain">
      <div>
        <strong>Wrong network.</strong> Your wallet is on chain {wallet.walletChainId}; TeeTee here runs on{" "}
        {wallet.config.chainName} (chain {wallet.config.chainId}). Nothing can be sent until you switch.
      </div>
      <button type="button" className="btn btn-light" onClick={wallet.switchChain}>
        Switch to {wallet.config.chainName}
      </button>
    </div>
  );
}

/** What a screen shows in place of its forms until a wallet is connected on the right chain. */
export function ConnectPrompt({ what }: { what: string }) {
  const wallet = useWallet();
  if (wallet.provider === undefined) {
    return (
      <div className="connect-prompt">
        <h2>Connect a wallet</h2>
        <p>
          To {what}, open this page in a browser with an Ethereum wallet (any EIP-1193 wallet, such as a
          browser extension).
        </p>
      </div>
    );
  }
  return (
    <div className="connect-prompt">
      <h2>Connect a wallet</h2>
      <p>To {what}, connect the wallet that holds your funds. Nothing is sent without your approval.</p>
      <button type="button" className="btn btn-primary" onClick={wallet.connect}>
        Connect wallet
      </button>
    </div>
  );
}
