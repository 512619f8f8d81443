import { getChannelPaid, type TeeTeeContracts } from "@teetee/sdk/contracts";
import OpenAI from "openai";
import type { Hex, PublicClient } from "viem";

/** The `teetee` field the gateway adds to each response (see the gateway's teeteeMetadata.ts). */
type TeeTeeField = {
  route: { shard: number; runner: string; attestation: { status: string } }[];
  failovers: unknown[];
  usage: { input_tokens: number; output_tokens: number };
  cost: string;
  payment: { free: boolean; channel_id: Hex; voucher_amount: string };
};

export type DemoRequest = {
  prompt: string;
  stream: boolean;
  reply: string;
  promptTokens: number;
  completionTokens: number;
  /** Payment-token base units charged for this request. */
  cost: bigint;
  route: { shard: number; runner: string; attestation: string }[];
  channelId: Hex;
  /** The cumulative voucher amount of the request's channel after it. */
  voucherAmount: bigint;
};

export const DEMO_PROMPTS = [
  "What is a trusted execution environment?",
  "Split a language model into shards.",
  "Stream a short answer, please.",
] as const;

function fromField(prompt: string, stream: boolean, reply: string, field: TeeTeeField): DemoRequest {
  return {
    prompt,
    stream,
    reply,
    promptTokens: field.usage.input_tokens,
    completionTokens: field.usage.output_tokens,
    cost: BigInt(field.cost),
    route: field.route.map((r) => ({ shard: r.shard, runner: r.runner, attestation: r.attestation.status })),
    channelId: field.payment.channel_id,
    voucherAmount: BigInt(field.payment.voucher_amount),
  };
}

/** Sends one chat request through the official OpenAI client, streamed or not, and reads the gateway's receipt. */
async function chat(client: OpenAI, model: string, prompt: string, stream: boolean): Promise<DemoRequest> {
  const messages = [{ role: "user" as const, content: prompt }];
  if (!stream) {
    const completion = await client.chat.completions.create({
      model,
      messages,
      max_tokens: 16,
      temperature: 0,
    });
    const field = (completion as unknown as { teetee: TeeTeeField }).teetee;
    return fromField(prompt, false, completion.choices[0]?.message.content ?? "", field);
  }
  const chunks = await client.chat.completions.create({
    model,
    messages,
    max_tokens: 16,
    temperature: 0,
    stream: true,
    stream_options: { include_usage: true },
  });
  let reply = "";
  let field: TeeTeeField | undefined;
  for await (const chunk of chunks) {
    reply += chunk.choices[0]?.delta.content ?? "";
    const extra = (chunk as unknown as { teetee?: TeeTeeField }).teetee;
    if (extra !== undefined) field = extra;
  }
  if (field === undefined) throw new Error("the stream ended without the gateway's usage and cost");
  return fromField(prompt, true, reply, field);
}

/** The demo buyer's requests, one after another (the last one streamed), with the buyer's API key. */
export async function sendDemoRequests(gatewayUrl: string, apiKey: string, model: string) {
  const client = new OpenAI({ baseURL: `${gatewayUrl}/v1`, apiKey, maxRetries: 0, timeout: 60_000 });
  const requests: DemoRequest[] = [];
  for (const [index, prompt] of DEMO_PROMPTS.entries()) {
    requests.push(await chat(client, model, prompt, index === DEMO_PROMPTS.length - 1));
  }
  return requests;
}

/** The highest voucher of each channel the requests used: what settlement must have paid. */
export function finalVouchers(requests: readonly DemoRequest[]): Map<Hex, bigint> {
  const finals = new Map<Hex, bigint>();
  for (const r of requests) {
    if (r.voucherAmount > (finals.get(r.channelId) ?? 0n)) finals.set(r.channelId, r.voucherAmount);
  }
  return finals;
}

/** Waits until the runners' settlers have redeemed every channel's final voucher on-chain. */
export async function waitForSettlement(
  client: PublicClient,
  contracts: TeeTeeContracts,
  requests: readonly DemoRequest[],
  timeoutMs = 90_000,
): Promise<void> {
  const finals = finalVouchers(requests);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const unpaid: string[] = [];
    for (const [channelId, amount] of finals) {
      const paid = await getChannelPaid(client, { contracts, channelId });
      if (paid < amount) unpaid.push(`${channelId.slice(0, 10)}… paid ${paid} of ${amount}`);
    }
    if (unpaid.length === 0) return;
    if (Date.now() > deadline) throw new Error(`vouchers not redeemed in time: ${unpaid.join("; ")}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}
