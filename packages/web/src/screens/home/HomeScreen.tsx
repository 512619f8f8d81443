import { getModel, getModelIds, type Model } from "@teetee/sdk/contracts";
import type { Hex } from "viem";
import { formatPrice, shortHex } from "../../chain/format.js";
import { fetchGatewayModels } from "../../chain/gatewayModels.js";
import { useChainRead } from "../../chain/useChainRead.js";
import { Empty, ErrorNote, Pill } from "../../components/ui.js";
import { ConnectPrompt } from "../../components/WalletBar.js";
import { useWallet } from "../../wallet/WalletContext.js";

/** A registered model with the name the gateway serves it under (the on-chain record holds no name). */
type NamedModel = { id: Hex; model: Model; name: string | undefined };

function useNamedModels() {
  const { publicClient, config } = useWallet();
  const contracts = config.contracts;
  return useChainRead(
    async (): Promise<NamedModel[]> => {
      const [{ ids }, served] = await Promise.all([
        getModelIds(publicClient, { contracts, limit: 50n }),
        fetchGatewayModels(config.gatewayUrl),
      ]);
      const names = new Map(served.map((m) => [m.modelId, m.name]));
      const models = await Promise.all(
        ids.map(async (id) => ({
          id,
          model: await getModel(publicClient, { contracts, modelId: id }),
          name: names.get(id.toLowerCase() as Hex),
        })),
      );
      return models.filter((m) => m.model.active);
    },
    [publicClient],
    15_000,
  );
}

function ModelSummary({ row }: { row: NamedModel }) {
  const { token } = useWallet();
  return (
    <li className="home-model" data-testid="home-model">
      <div className="home-model-head">
        <h3>{row.name ?? "Not served by this gateway now"}</h3>
        <Pill tone={row.name === undefined ? "neutral" : "ok"}>
          {row.name === undefined ? "No route" : "Served"}
        </Pill>
      </div>
      <p className="muted small">
        {row.model.numLayers} layers in {row.model.shardCount} shards · input{" "}
        {formatPrice(row.model.inputPricePerMTok, token)} · output{" "}
        {formatPrice(row.model.outputPricePerMTok, token)}
      </p>
      <p className="muted small mono" title={row.id}>
        model id {shortHex(row.id, 10, 6)}
      </p>
    </li>
  );
}

/** The first page, for anyone: what TeeTee is, the models on this network by name, and where to start. */
export function HomeScreen() {
  const models = useNamedModels();
  const { account } = useWallet();
  return (
    <div className="screen" data-testid="home">
      <div className="screen-head">
        <h1>Large language models hosted together, in attested TEEs</h1>
        <p className="muted">
          TeeTee runs models no single organisation can afford to host alone. Each model is split into layer
          ranges (shards); each contributor runs one shard inside a Trusted Execution Environment (Intel TDX)
          and proves what it runs with an attestation. Your prompt travels shard to shard, encrypted to each
          attested runner. You call it with any OpenAI client and pay per token with signed vouchers, settled
          on-chain; the contributors who served share the revenue.
        </p>
      </div>
      <section className="card" aria-labelledby="home-models">
        <header className="card-head">
          <h2 id="home-models">Models on this network</h2>
        </header>
        <ErrorNote message={models.error} />
        {models.loading && <p className="muted">Reading the chain…</p>}
        {models.data?.length === 0 && <Empty>No model is registered on this network yet.</Empty>}
        <ul className="home-models">
          {models.data?.map((row) => (
            <ModelSummary key={row.id} row={row} />
          ))}
        </ul>
      </section>
      <ol className="home-steps">
        <li data-testid="home-connect">
          {account === undefined ? (
            <ConnectPrompt what="deposit, create API keys or host a shard" />
          ) : (
            <div className="connect-prompt">
              <h2>Wallet connected</h2>
              <p className="mono">{account}</p>
            </div>
          )}
        </li>
        <li className="card">
          <h2>Use a model</h2>
          <p className="muted">
            Deposit once, create an API key, and call the gateway from any OpenAI client.{" "}
            <a href="#/buy">Use models</a>
          </p>
        </li>
        <li className="card">
          <h2>Or host a shard</h2>
          <p className="muted">
            Stake, run one shard in your TEE, and earn from every request it serves.{" "}
            <a href="#/host">Host a shard</a>
          </p>
        </li>
      </ol>
    </div>
  );
}
