import express, { type NextFunction, type Request, type Response } from "express";
import type { Logger } from "pino";
import type { Hex } from "viem";
import type { ModelListing } from "./ChainDirectory.js";
import {
  assertPromptLength,
  type CompletionContext,
  resolveModel,
  runCompletion,
  samplingOf,
} from "./completionHandler.js";
import { ModelFileNotFoundError, ModelNotFoundError, ReceiptsNotFoundError } from "./errors.js";
import { isUsable, type RunnerPool } from "./RunnerPool.js";
import {
  type ChatCompletionRequest,
  chatCompletionRequestSchema,
  completionRequestSchema,
  messageText,
  stopStrings,
} from "./requestSchemas.js";
import { findServedModel } from "./ServedModel.js";
import { toOpenAIError } from "./toOpenAIError.js";

export type GatewayAppParameters = CompletionContext & {
  pool: Pick<RunnerPool, "hasRoute" | "runners">;
  logger?: Logger;
  /** Largest JSON body accepted. Default 4 MB. */
  maxBodyBytes?: number;
};

/**
 * The OpenAI-compatible API: `POST /v1/chat/completions`, `POST /v1/completions`, `GET /v1/models`, plus
 * `GET /v1/receipts/:id` (an answer's receipt bundle, for its buyer), `GET /v1/models/:model/manifest` and
 * `GET /v1/models/:model/files/:file` (its tokenizer files, to check an answer's text), `GET /healthz` and
 * `GET /metrics`. Every error, from validation to a route that could not be completed, is
 * answered by one handler in OpenAI's error shape (as an SSE `error` event once a stream has begun).
 */
export function createGatewayApp(parameters: GatewayAppParameters): express.Express {
  const app = express();
  app.disable("x-powered-by");
  app.use(express.json({ limit: parameters.maxBodyBytes ?? 4 * 1024 * 1024 }));
  // Before a prompt is tokenised: an unauthenticated caller must cost the gateway nothing but a key check.
  const authenticate = (req: Request, modelId: Hex) =>
    parameters.authenticator.authenticate({ authorization: req.headers.authorization, modelId });
  const timed =
    (endpoint: string, handler: (req: Request, res: Response) => Promise<void>) =>
    async (req: Request, res: Response) => {
      const stop = parameters.metrics.duration.startTimer({ endpoint });
      res.on("finish", () => {
        stop();
        parameters.metrics.requests.inc({ endpoint, status: String(res.statusCode) });
      });
      await handler(req, res);
    };

  app.post(
    "/v1/chat/completions",
    timed("chat", async (req, res) => {
      const body = chatCompletionRequestSchema.parse(req.body);
      const { served, listing } = resolveModel(parameters, body.model);
      const caller = await authenticate(req, served.modelId);
      const messages = chatMessages(body);
      assertPromptLength(
        served,
        messages.reduce((sum, m) => sum + m.content.length, 0),
        "messages",
      );
      const promptIds = served.tokenizer.encodeChat(messages);
      await runCompletion(
        parameters,
        {
          kind: "chat",
          served,
          listing,
          promptIds,
          maxTokens: body.max_completion_tokens ?? body.max_tokens ?? undefined,
          sampling: samplingOf(body),
          stops: stopStrings(body.stop),
          stream: body.stream === true,
          includeUsage: body.stream_options?.include_usage === true,
        },
        caller,
        res,
      );
    }),
  );

  app.post(
    "/v1/completions",
    timed("completions", async (req, res) => {
      const body = completionRequestSchema.parse(req.body);
      const { served, listing } = resolveModel(parameters, body.model);
      const caller = await authenticate(req, served.modelId);
      const prompt = Array.isArray(body.prompt) ? body.prompt : [body.prompt];
      const text = typeof prompt[0] === "number" ? undefined : String(prompt[0] ?? "");
      if (text !== undefined) assertPromptLength(served, text.length, "prompt");
      const promptIds = text === undefined ? (prompt as number[]) : served.tokenizer.encode(text);
      await runCompletion(
        parameters,
        {
          kind: "text",
          served,
          listing,
          promptIds,
          // OpenAI's legacy default for this endpoint.
          maxTokens: body.max_tokens ?? 16,
          sampling: samplingOf(body),
          stops: stopStrings(body.stop),
          stream: body.stream === true,
          includeUsage: body.stream_options?.include_usage === true,
        },
        caller,
        res,
      );
    }),
  );

  // An unknown id is 404 whoever asks; a known one needs its buyer's API key (401 without one, 404 for another's).
  app.get(
    "/v1/receipts/:id",
    timed("receipts", async (req, res) => {
      const id = String(req.params.id);
      const { store } = parameters.receipts;
      const modelId = store.modelOf(id);
      if (modelId === undefined) throw new ReceiptsNotFoundError(id);
      const caller = await authenticate(req, modelId);
      const stored = store.get(id, caller.apiKey.buyer);
      if (stored === undefined) throw new ReceiptsNotFoundError(id);
      if ("error" in stored) throw new ReceiptsNotFoundError(id, stored.error);
      res.json(stored.bundle);
    }),
  );

  app.get("/v1/models", (_req, res) => {
    res.json({ object: "list", data: listModels(parameters) });
  });

  app.get("/v1/models/:model", (req, res) => {
    const model = listModels(parameters).find((m) => m.id === req.params.model);
    if (model === undefined) throw new ModelNotFoundError(req.params.model);
    res.json(model);
  });

  // What a verifier needs to check an answer's text without trusting this gateway: the manifest (it hashes to the
  // model id the receipts name) and the tokenizer files it lists (each has the size and SHA-256 it records). The
  // files are content-addressed by the model id, so they may be cached for good. See tokenizerFromModelFiles.
  app.get("/v1/models/:model/manifest", (req, res) => {
    const served = findServedModel(parameters.models, String(req.params.model));
    if (served === undefined) throw new ModelNotFoundError(String(req.params.model));
    res.set("Cache-Control", IMMUTABLE).json(served.manifest);
  });

  app.get("/v1/models/:model/files/:file", (req, res, next) => {
    const served = findServedModel(parameters.models, String(req.params.model));
    if (served === undefined) throw new ModelNotFoundError(String(req.params.model));
    const file = served.manifest.tokenizer.files.find((f) => f.path === req.params.file);
    if (file === undefined) throw new ModelFileNotFoundError(String(req.params.file));
    res.set({ "Cache-Control": IMMUTABLE, ETag: `"${file.sha256}"` });
    res.type("application/json").sendFile(file.path, { root: served.dir, dotfiles: "deny" }, (error) => {
      if (error !== undefined && !res.headersSent) next(error);
    });
  });

  // Liveness: the process answers. Readiness: it can serve a request now (some model has a complete route).
  app.get("/healthz", (_req, res) => {
    res.json({ status: "live" });
  });

  app.get("/readyz", (_req, res) => {
    const models = listModels(parameters).length;
    res.status(models > 0 ? 200 : 503).json({ status: models > 0 ? "ready" : "not ready", models });
  });

  app.get("/metrics", async (_req, res) => {
    res.type(parameters.metrics.registry.contentType).send(await parameters.metrics.registry.metrics());
  });

  app.use((_req: Request, res: Response) => {
    res.status(404).json({
      error: {
        message: "Unknown endpoint.",
        type: "invalid_request_error",
        param: null,
        code: "unknown_url",
      },
    });
  });

  app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const { status, body, retryAfterSeconds } = toOpenAIError(error);
    if (status >= 500) parameters.logger?.error({ err: error }, "request failed");
    if (res.headersSent) {
      // A stream already began: OpenAI's clients read an `error` event and raise it.
      if (!res.writableEnded) {
        res.write(`data: ${JSON.stringify(body)}\n\n`);
        res.end();
      }
      return;
    }
    if (retryAfterSeconds !== undefined) res.set("Retry-After", String(retryAfterSeconds));
    res.status(status).json(body);
  });
  return app;
}

/** Files addressed by a model id never change. */
const IMMUTABLE = "public, max-age=31536000, immutable";

function chatMessages(body: ChatCompletionRequest) {
  // Templates know system, user and assistant; OpenAI's newer "developer" role means "system" to them.
  return body.messages.map((m) => ({
    role: m.role === "developer" ? "system" : m.role,
    content: messageText(m.content),
  }));
}

/** Models with at least one complete route of attested, healthy runners. */
function listModels(parameters: GatewayAppParameters) {
  const listings = parameters.listings();
  return parameters.models.flatMap((served) => {
    const listing: ModelListing | undefined = listings.get(served.modelId.toLowerCase() as Hex);
    if (listing === undefined || !listing.model.active) return [];
    if (!parameters.pool.hasRoute(served.modelId, listing.model.shardCount)) return [];
    return [
      {
        id: served.name,
        object: "model" as const,
        created: 0,
        owned_by: listing.model.curator,
        teetee: {
          model_id: served.modelId,
          shards: listing.model.shardCount,
          input_price_per_mtok: listing.model.inputPricePerMTok.toString(),
          output_price_per_mtok: listing.model.outputPricePerMTok.toString(),
          runners: listing.runners.map((_, shard) =>
            parameters.pool
              .runners(served.modelId, shard)
              .filter((r) => isUsable(r))
              .map((r) => r.runner),
          ),
        },
      },
    ];
  });
}
