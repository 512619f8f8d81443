import { useEffect, useState } from "react";
import { ActionHost } from "./components/ActionDialog.js";
import { WalletBanner, WalletBar } from "./components/WalletBar.js";
import { BuyerScreen } from "./screens/buyer/BuyerScreen.js";
import { ContributorScreen } from "./screens/contributor/ContributorScreen.js";
import { ExplorerScreen } from "./screens/explorer/ExplorerScreen.js";
import { HomeScreen } from "./screens/home/HomeScreen.js";

const tabs = [
  { path: "#/", label: "Overview", screen: HomeScreen },
  { path: "#/buy", label: "Use models", screen: BuyerScreen },
  { path: "#/host", label: "Host a shard", screen: ContributorScreen },
  { path: "#/network", label: "Network", screen: ExplorerScreen },
] as const;

function useHashRoute(): string {
  const [hash, setHash] = useState(() => window.location.hash || tabs[0].path);
  useEffect(() => {
    const onChange = () => setHash(window.location.hash || tabs[0].path);
    window.addEventListener("hashchange", onChange);
    return () => window.removeEventListener("hashchange", onChange);
  }, []);
  return hash;
}

export function App() {
  const hash = useHashRoute();
  const current = tabs.find((t) => t.path === hash) ?? tabs[0];
  const Screen = current.screen;
  return (
    <ActionHost>
      <header className="topbar">
        <div className="topbar-inner">
          <a className="brand" href="#/">
            <span className="logo" aria-hidden="true">
              TT
            </span>
            TeeTee
          </a>
          <nav className="tabs" aria-label="Sections">
            {tabs.map((t) => (
              <a key={t.path} href={t.path} className={t === current ? "tab active" : "tab"}>
                {t.label}
              </a>
            ))}
          </nav>
          <WalletBar />
        </div>
      </header>
      <WalletBanner />
      <main className="main">
        <Screen />
      </main>
      <footer className="footer">Models split across attested TEEs, paid per token, settled on-chain.</footer>
    </ActionHost>
  );
}
