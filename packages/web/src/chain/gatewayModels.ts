import type { Hex } from "viem";

/** A model as the gateway's `GET /v1/models` lists it: its name, and the on-chain id it serves under that name. */
export type GatewayModel = { name: string; modelId: Hex };

type ModelsList = { data?: { id?: unknown; teetee?: { model_id?: unknown } }[] };

/** The models the gateway serves now, by name; none when there is no gateway or it cannot be reached. */
export async function fetchGatewayModels(gatewayUrl: string | null): Promise<GatewayModel[]> {
  if (gatewayUrl === null) return [];
  const response = await fetch(`${gatewayUrl}/v1/models`).catch(() => undefined);
  if (response?.ok !== true) return [];
  const list = (await response.json()) as ModelsList;
  return (list.data ?? []).flatMap((m) =>
    typeof m.id === "string" && typeof m.teetee?.model_id === "string"
      ? [{ name: m.id, modelId: m.teetee.model_id.toLowerCase() as Hex }]
      : [],
  );
}
